package losses

import "fmt"

func errEncoder(loss, kind string) error {
	return fmt.Errorf("%s needs a model with a %s encoder (use ConfigureModel)", loss, kind)
}
