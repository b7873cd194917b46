// Package lossflags binds the command-line flags of the losses' settings
// (--lambda, --eps, --cost, ...) to a losses.Config, for cmd/train's flags
// and cmd/compare's --set, and derives the settings a user leaves unset from
// the loss's defaults given those they set.
package lossflags

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"otgen/internal/cli"
	"otgen/losses"
	"otgen/train"
)

// Bind defines on fs a flag for every loss setting, bound to the field of c
// it sets, with c's values as defaults. Each usage names the losses that
// read the setting and, when spec is not nil, says whether spec does.
func Bind(fs *flag.FlagSet, c *losses.Config, spec *losses.Spec) {
	usage := func(flag, what string) string {
		var users []string
		for _, s := range losses.Specs() {
			if s.UsesSetting(flag) {
				users = append(users, s.Name)
			}
		}
		u := what + " (" + strings.Join(users, ", ")
		if spec != nil && !spec.UsesSetting(flag) {
			u += "; not used by " + spec.Name
		}
		return u + ")"
	}
	fs.Float64Var(&c.Lambda, "lambda", c.Lambda, usage("lambda", "weight of the latent divergence or of the gradient penalty"))
	fs.Var(cli.OneOf(&c.Cost, "", "l2sq", "l2", "l1", "sqeuclidean", "euclidean", "cosine"), "cost", usage("cost", "reconstruction cost of aae: l2sq, l2 or l1; ground cost between points of minibatch-w: sqeuclidean or euclidean; ground cost on the critic's features of the learned-cost losses: sqeuclidean, euclidean or cosine"))
	fs.IntVar(&c.NCritic, "n-critic", c.NCritic, usage("n-critic", "critic steps per generator step"))
	fs.Float64Var(&c.Clip, "clip", c.Clip, usage("clip", "weight-clipping bound"))
	fs.Float64Var(&c.Eps, "eps", c.Eps, usage("eps", "entropic regularisation"))
	fs.IntVar(&c.Iters, "iters", c.Iters, usage("iters", "Sinkhorn iterations"))
	fs.Float64Var(&c.Reach, "reach", c.Reach, usage("reach", "reach of the unbalanced Sinkhorn divergence: mass farther than about this from the other batch is destroyed or created, not moved (0: balanced)"))
	fs.IntVar(&c.K, "k", c.K, usage("k", "minibatch pairs"))
	fs.IntVar(&c.M, "m", c.M, usage("m", "minibatch size, at most --batch"))
	fs.IntVar(&c.Features, "feature-dim", c.Features, usage("feature-dim", "dimension of the critic's feature vectors"))
	fs.Var(cli.OneOf(&c.CriticReg, "", "gp", "clip"), "critic-reg", usage("critic-reg", "what keeps the critic from collapsing the learned cost: gp (gradient penalty of weight --lambda, Adam) or clip (weights clipped to --clip, RMSProp)"))
	fs.Var(cli.OneOf(&c.CriticLoss, "", "divergence", "repulsive"), "critic-loss", usage("critic-loss", "what the critic of a learned-cost loss minimises: divergence (minus the OT loss it learns the cost of) or repulsive (Wang et al. 2019: spread the data's features, gather the generated ones)"))
	fs.BoolVar(&c.Debias, "debias", c.Debias, usage("debias", "minimise the debiased minibatch Wasserstein h(generated, data) − ½h(generated, generated) − ½h(data, data), each self term between the halves of a batch (use --m at most half the batch)"))
	fs.Var(cli.OneOf(&c.Likelihood, "", "bernoulli", "gaussian"), "likelihood", usage("likelihood", "decoder likelihood: bernoulli (pixels in [0,1]) or gaussian"))
	fs.Float64Var(&c.DecoderStd, "decoder-std", c.DecoderStd, usage("decoder-std", "standard deviation of the Gaussian decoder"))
	fs.Var((*cli.Floats)(&c.Scales), "scales", usage("scales", "multipliers of the inverse multiquadratic kernel's scale"))
}

// Derive replaces the settings of c, a configuration of loss c.Name, by
// the given ones (flag name to value, as on the command line) and the
// loss's defaults given them for training t and data d, since a default may
// depend on another setting: sinkhorn-gan's ε is 100 for its image cost,
// euclidean, and 1 for sqeuclidean. The given values are set once on a
// configuration without settings, for the defaults to see, and once more
// over the defaults (so that a value the defaults would replace, such as 0,
// reaches validation as given). t's fields may change as the defaults
// choose (a loss's learning rate); with nothing given, c and t are left
// as they are. An unknown name or a value that does not parse is an error
// naming the flag.
func Derive(c *losses.Config, given map[string]string, t *losses.Training, d losses.Data) error {
	if len(given) == 0 {
		return nil
	}
	apply := func(dst *losses.Config) error {
		fs := flag.NewFlagSet("settings", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		Bind(fs, dst, nil)
		// In the order of losses.Settings, so that errors come in a
		// fixed order.
		n := 0
		for _, st := range losses.Settings {
			v, ok := given[st.Flag]
			if !ok {
				continue
			}
			n++
			if err := fs.Set(st.Flag, v); err != nil {
				return fmt.Errorf("--%s: %w", st.Flag, err)
			}
		}
		if n != len(given) {
			for name := range given {
				if losses.SettingByName(name) == nil {
					return fmt.Errorf("--%s: not a loss setting", name)
				}
			}
		}
		return nil
	}
	user := losses.Config{Name: c.Name}
	if err := apply(&user); err != nil {
		return err
	}
	derived := losses.Defaults(user, t, d)
	if err := apply(&derived); err != nil {
		return err
	}
	*c = derived
	return nil
}

// DeriveRun is Derive for a run's configuration: the loss settings of cfg
// not in given are derived from the loss's defaults given those that are,
// and so is the learning rate unless lrSet (sinkhorn-gan's on MNIST follows
// its critic loss).
func DeriveRun(cfg *train.Config, given map[string]string, lrSet bool) error {
	t := losses.Training{LR: cfg.LR, Beta1: cfg.Beta1, Beta2: cfg.Beta2, Batch: cfg.Batch, Steps: cfg.Steps, Schedule: cfg.Schedule}
	d := losses.Data{Name: cfg.Data.Name, Shape: cfg.Model.DataShape, Output: cfg.Model.Output}
	if err := Derive(&cfg.Loss, given, &t, d); err != nil {
		return err
	}
	if !lrSet {
		cfg.LR = t.LR
	}
	return nil
}
