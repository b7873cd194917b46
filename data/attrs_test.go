package data

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const goodAttrs = "3\r\nMale Smiling  Young\r\n" +
	"a.jpg  1 -1  1\r\n" +
	"b.jpg -1  1  1\r\n" +
	"c.jpg  1  1 -1\r\n"

func TestReadAttributes(t *testing.T) {
	a, err := ReadAttributes(strings.NewReader(goodAttrs))
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 3 || a.File(2) != "c.jpg" || !slices.Equal(a.Names(), []string{"Male", "Smiling", "Young"}) {
		t.Fatalf("Len %d, File(2) %q, Names %v", a.Len(), a.File(2), a.Names())
	}
	for _, tc := range []struct {
		file, name string
		want       int
	}{{"a.jpg", "Male", 1}, {"a.jpg", "Smiling", -1}, {"b.jpg", "Male", -1}, {"c.jpg", "Young", -1}} {
		if v, err := a.Value(tc.file, tc.name); err != nil || v != tc.want {
			t.Errorf("Value(%s, %s) = %d, %v, want %d", tc.file, tc.name, v, err, tc.want)
		}
	}
	if _, err := a.Value("z.jpg", "Male"); err == nil {
		t.Error("Value of a file without a row: no error")
	}

	names := []string{"a.jpg", "b.jpg", "c.jpg"}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"", names},
		{"Male=1", []string{"a.jpg", "c.jpg"}},
		{"Male=+1, Smiling=1", []string{"c.jpg"}},
		{"Young=-1,Male=-1", nil},
	} {
		f, err := ParseAttrFilter(tc.filter)
		if err != nil {
			t.Fatalf("ParseAttrFilter(%q): %v", tc.filter, err)
		}
		got, err := a.Select(names, f)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Select(%q) = %v, %v, want %v", tc.filter, got, err, tc.want)
		}
	}

	_, err = a.Select(names, AttrFilter{"Bald": 1})
	if err == nil || !strings.Contains(err.Error(), `unknown attribute "Bald"`) || !strings.Contains(err.Error(), "Male, Smiling, Young") {
		t.Errorf("unknown attribute: err = %v, want it to list the valid names", err)
	}
	if _, err := a.Select(names, AttrFilter{"Male": 0}); err == nil {
		t.Error("filter value 0: no error")
	}
	if _, err := a.Select([]string{"a.jpg", "zz.jpg"}, AttrFilter{"Male": 1}); err == nil || !strings.Contains(err.Error(), "zz.jpg") {
		t.Errorf("file without a row: err = %v", err)
	}
}

func TestReadAttributesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "\n\n", "empty attribute file"},
		{"bad count", "three\nMale\n", `line 1: "three" is not a row count`},
		{"no header", "2\n", "line 2: missing the line of attribute names"},
		{"no count", "Male Smiling\na.jpg 1 1\n", "line 1"},
		{"numeric header", "1\n2\na.jpg 1\n", "is a number"},
		{"duplicate name", "1\nMale Male\na.jpg 1 1\n", `attribute "Male" appears twice`},
		{"short row", "2\nMale Smiling\na.jpg 1 1\nb.jpg 1\n", "line 4: 2 fields, want a file name and 2 values"},
		{"bad value", "2\nMale Smiling\na.jpg 1 1\n\nb.jpg 1 0\n", `line 5: value "0" of attribute Smiling is not 1 or -1`},
		{"duplicate file", "2\nMale\na.jpg 1\na.jpg -1\n", "line 4: file a.jpg appears twice"},
		{"count mismatch", "3\nMale\na.jpg 1\nb.jpg -1\n", "announces 3 rows but the file has 2"},
	} {
		_, err := ReadAttributes(strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}

	dir := t.TempDir()
	writeFile(t, dir, "bad.txt", []byte("1\nMale\na.jpg yes\n"))
	_, err := LoadAttributes(filepath.Join(dir, "bad.txt"))
	if err == nil || !strings.Contains(err.Error(), "bad.txt: line 3") || !strings.HasPrefix(err.Error(), "data: attributes: ") {
		t.Errorf("bad file: err = %v, want it to name the file and line", err)
	}
	_, err = LoadAttributes(filepath.Join(dir, "missing.txt"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestParseAttrFilter(t *testing.T) {
	f, err := ParseAttrFilter(" Male=1 , Smiling=-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 2 || f["Male"] != 1 || f["Smiling"] != -1 {
		t.Fatalf("got %v", f)
	}
	if s := f.String(); s != "Male=1,Smiling=-1" {
		t.Errorf("String = %q", s)
	}
	if f, err := ParseAttrFilter("Male=1,Male=1"); err != nil || len(f) != 1 {
		t.Errorf("repeated pair: %v, %v", f, err)
	}
	for _, bad := range []string{"Male", "Male=", "=1", "Male=2", "Male=yes", "Male=1,,Young=1", "Male=1,Male=-1"} {
		if _, err := ParseAttrFilter(bad); err == nil || !strings.HasPrefix(err.Error(), "data: attribute filter") {
			t.Errorf("ParseAttrFilter(%q): err = %v, want an error", bad, err)
		}
	}
}
