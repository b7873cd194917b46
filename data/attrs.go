package data

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Attributes is a table of binary attributes of image files, read from a
// file in the format of CelebA's list_attr_celeba.txt: the first line is
// the number of rows, the second the attribute names separated by
// spaces, then one row a line, "FILE v1 v2 ..." with one value per name,
// each 1 or -1, separated by spaces. Lines may end in CRLF.
type Attributes struct {
	names []string
	files []string
	vals  []int8 // len(files)*len(names), row by row
	col   map[string]int
	row   map[string]int
}

// ReadAttributes parses an attribute table from r. Errors name the line
// (counting from 1) and what is wrong with it.
func ReadAttributes(r io.Reader) (*Attributes, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	line := 0
	nextLine := func() (string, bool) {
		for sc.Scan() {
			line++
			if s := strings.TrimSpace(sc.Text()); s != "" {
				return s, true
			}
		}
		return "", false
	}
	first, ok := nextLine()
	if !ok {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		return nil, fmt.Errorf("empty attribute file")
	}
	count, err := strconv.Atoi(first)
	if err != nil || count < 0 {
		return nil, fmt.Errorf("line %d: %q is not a row count", line, first)
	}
	header, ok := nextLine()
	if !ok {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		return nil, fmt.Errorf("line %d: missing the line of attribute names", line+1)
	}
	a := &Attributes{names: strings.Fields(header), col: map[string]int{}, row: map[string]int{}}
	for j, name := range a.names {
		if _, err := strconv.Atoi(name); err == nil {
			return nil, fmt.Errorf("line %d: attribute name %q is a number; is the row count or the header line missing?", line, name)
		}
		if _, dup := a.col[name]; dup {
			return nil, fmt.Errorf("line %d: attribute %q appears twice", line, name)
		}
		a.col[name] = j
	}
	k := len(a.names)
	a.files = make([]string, 0, min(count, 1<<20))
	a.vals = make([]int8, 0, min(count, 1<<20)*k)
	for {
		s, ok := nextLine()
		if !ok {
			break
		}
		f := strings.Fields(s)
		if len(f) != k+1 {
			return nil, fmt.Errorf("line %d: %d fields, want a file name and %d values", line, len(f), k)
		}
		if _, dup := a.row[f[0]]; dup {
			return nil, fmt.Errorf("line %d: file %s appears twice", line, f[0])
		}
		for j, v := range f[1:] {
			switch v {
			case "1":
				a.vals = append(a.vals, 1)
			case "-1":
				a.vals = append(a.vals, -1)
			default:
				return nil, fmt.Errorf("line %d: value %q of attribute %s is not 1 or -1", line, v, a.names[j])
			}
		}
		a.row[f[0]] = len(a.files)
		a.files = append(a.files, f[0])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(a.files) != count {
		return nil, fmt.Errorf("line 1 announces %d rows but the file has %d", count, len(a.files))
	}
	return a, nil
}

// LoadAttributes reads the attribute table at path; see ReadAttributes.
// Errors name the file.
func LoadAttributes(path string) (*Attributes, error) {
	a, err := loadAttributes(path)
	if err != nil {
		return nil, fmt.Errorf("data: attributes: %w", err)
	}
	return a, nil
}

// loadAttributes is LoadAttributes without the package prefix on errors.
func loadAttributes(path string) (*Attributes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("attribute file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("attribute file %s is a directory", path)
	}
	a, err := ReadAttributes(f)
	if err != nil {
		return nil, fmt.Errorf("attribute file %s: %w", path, err)
	}
	return a, nil
}

// Names returns the attribute names, in file order.
func (a *Attributes) Names() []string { return append([]string(nil), a.names...) }

// Len returns the number of rows.
func (a *Attributes) Len() int { return len(a.files) }

// File returns the file name of row i. It panics unless 0 <= i < Len().
func (a *Attributes) File(i int) string { return a.files[i] }

// Index returns the column of the attribute name, or an error that lists
// the valid names.
func (a *Attributes) Index(name string) (int, error) {
	j, ok := a.col[name]
	if !ok {
		return 0, fmt.Errorf("unknown attribute %q (valid: %s)", name, strings.Join(a.names, ", "))
	}
	return j, nil
}

// Value returns the value, 1 or -1, of attribute name for file. It
// returns an error if the file has no row or the name is unknown.
func (a *Attributes) Value(file, name string) (int, error) {
	j, err := a.Index(name)
	if err != nil {
		return 0, err
	}
	i, ok := a.row[file]
	if !ok {
		return 0, fmt.Errorf("file %s has no row", file)
	}
	return int(a.vals[i*len(a.names)+j]), nil
}

// AttrFilter selects the files whose attributes all have the given
// values, e.g. {"Male": 1, "Smiling": -1}. Values are 1 or -1.
type AttrFilter map[string]int

// ParseAttrFilter parses a filter written as comma-separated NAME=VALUE
// pairs, e.g. "Male=1,Smiling=-1", as a command-line flag gives it. An
// empty string is the empty filter, which selects every file. VALUE must
// be 1 (also written +1) or -1. Names are checked later, against an
// attribute file.
func ParseAttrFilter(s string) (AttrFilter, error) {
	f := AttrFilter{}
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" || val == "" {
			return nil, fmt.Errorf("data: attribute filter %q: %q is not NAME=1 or NAME=-1", s, part)
		}
		v, err := strconv.Atoi(val)
		if err != nil || (v != 1 && v != -1) {
			return nil, fmt.Errorf("data: attribute filter %q: value %q of %s is not 1 or -1", s, val, name)
		}
		if old, dup := f[name]; dup && old != v {
			return nil, fmt.Errorf("data: attribute filter %q: %s is both %d and %d", s, name, old, v)
		}
		f[name] = v
	}
	return f, nil
}

// String returns the filter as ParseAttrFilter reads it, names sorted.
func (f AttrFilter) String() string {
	parts := make([]string, 0, len(f))
	for _, name := range f.sortedNames() {
		parts = append(parts, fmt.Sprintf("%s=%d", name, f[name]))
	}
	return strings.Join(parts, ",")
}

// sortedNames returns the names of f, sorted.
func (f AttrFilter) sortedNames() []string {
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// attrTest is one compiled condition of an AttrFilter.
type attrTest struct {
	col int
	val int8
}

// compile checks the names and values of f against a and returns its
// conditions in name order.
func (a *Attributes) compile(f AttrFilter) ([]attrTest, error) {
	tests := make([]attrTest, 0, len(f))
	for _, name := range f.sortedNames() {
		j, err := a.Index(name)
		if err != nil {
			return nil, err
		}
		v := f[name]
		if v != 1 && v != -1 {
			return nil, fmt.Errorf("filter value %d of %s is not 1 or -1", v, name)
		}
		tests = append(tests, attrTest{col: j, val: int8(v)})
	}
	return tests, nil
}

// Select returns the files of names that match f, in their order. It
// returns an error if f names an unknown attribute (the error lists the
// valid ones), has a value other than 1 or -1, or a file has no row.
func (a *Attributes) Select(names []string, f AttrFilter) ([]string, error) {
	tests, err := a.compile(f)
	if err != nil {
		return nil, err
	}
	k := len(a.names)
	var out []string
	for _, name := range names {
		i, ok := a.row[name]
		if !ok {
			return nil, fmt.Errorf("file %s has no row in the attribute file", name)
		}
		row := a.vals[i*k : (i+1)*k]
		match := true
		for _, t := range tests {
			if row[t.col] != t.val {
				match = false
				break
			}
		}
		if match {
			out = append(out, name)
		}
	}
	return out, nil
}
