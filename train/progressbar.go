package train

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

func newProgress(r *Run) *progress {
	p := &progress{r: r, start: time.Now(), from: r.step}
	if r.TTY {
		bar := progressbar.NewOptions(r.Config.Steps,
			progressbar.OptionSetWriter(r.Progress),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("it"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
		bar.Set(r.step)
		p.bar = bar
	}
	return p
}
