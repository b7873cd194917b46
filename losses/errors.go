package losses

import (
	"errors"
	"fmt"
)

// ErrNonFinite is wrapped by the error of a loss whose inputs or value are
// NaN or infinite (a diverged model): the training loop turns it into its
// own clear message instead of Gorgonia's virtual-machine text.
var ErrNonFinite = errors.New("non-finite value")

func errEncoder(loss, kind string) error {
	return fmt.Errorf("%s needs a model with a %s encoder (use ConfigureModel)", loss, kind)
}
