package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is a Gorgonia expression graph whose parameter nodes are bound to the
// tensors of a Store.
//
// A graph is in training mode (the default) or in evaluation mode, which
// only matters to layers that behave differently in the two, like
// BatchNorm: in training mode it normalises with the statistics of the batch
// and updates its running statistics on every run of the graph; in
// evaluation mode it normalises with the running statistics and changes
// nothing. The mode is read each time the graph runs, so SetTraining can be
// called before or after the layers are built.
type Graph struct {
	// G is the underlying Gorgonia graph.
	G      *G.ExprGraph
	store  *Store
	params map[string]*G.Node
	order  []string
	eval   bool
	// grads marks the nodes that may have a non-zero gradient for the
	// parameters or for the nodes passed to RequireGrad (see needsGrad).
	grads map[*G.Node]bool
}

// NewGraph returns an empty graph, in training mode, over the parameters of
// s.
func NewGraph(s *Store) *Graph {
	return &Graph{G: G.NewGraph(), store: s, params: map[string]*G.Node{}}
}

// SetTraining puts the graph in training mode (true) or evaluation mode
// (false) for its next runs.
func (g *Graph) SetTraining(training bool) { g.eval = !training }

// Training reports whether the graph is in training mode.
func (g *Graph) Training() bool { return !g.eval }

// Store returns the parameter store of the graph.
func (g *Graph) Store() *Store { return g.store }

// Dtype returns the element type of the graph's tensors.
func (g *Graph) Dtype() tensor.Dtype { return g.store.dtype }

// Param returns the node of parameter name in this graph, creating it on
// first use; the node is bound to the store's tensor. Buffers are not
// parameters: asking for one is an error.
func (g *Graph) Param(name string) (*G.Node, error) {
	if n, ok := g.params[name]; ok {
		return n, nil
	}
	t, ok := g.store.vals[name]
	if !ok {
		return nil, fmt.Errorf("nn: no parameter %q in the store", name)
	}
	if g.store.buffers[name] {
		return nil, fmt.Errorf("nn: %q is a buffer, not a trainable parameter", name)
	}
	n := G.NodeFromAny(g.G, t, G.WithName(name))
	g.params[name] = n
	g.order = append(g.order, name)
	return n, nil
}

// RequireGrad marks nodes (typically inputs) with respect to which G.Grad
// will be asked to differentiate. Without it, nn's convolution layers build
// no gradient for an input that depends on no parameter and on no marked
// node (a batch of data): asking G.Grad for one is then an error ("Non
// Differentiable WRTs"). Call it before G.Grad.
func (g *Graph) RequireGrad(nodes ...*G.Node) {
	if g.grads == nil {
		g.grads = map[*G.Node]bool{}
	}
	for _, n := range nodes {
		g.grads[n] = true
	}
}

// needsGrad reports whether n depends on a parameter of g or on a node
// marked by RequireGrad.
func (g *Graph) needsGrad(n *G.Node) bool {
	if g.grads == nil {
		g.grads = map[*G.Node]bool{}
	}
	if v, ok := g.grads[n]; ok {
		return v
	}
	v := false
	for _, p := range g.params {
		if p == n {
			v = true
			break
		}
	}
	if !v && n.Graph() != nil {
		it := n.Graph().From(n.ID())
		for it.Next() {
			if c, ok := it.Node().(*G.Node); ok && g.needsGrad(c) {
				v = true
				break
			}
		}
	}
	g.grads[n] = v
	return v
}

// Params returns the parameter nodes used by the graph, in order of first use.
func (g *Graph) Params() G.Nodes {
	out := make(G.Nodes, len(g.order))
	for i, name := range g.order {
		out[i] = g.params[name]
	}
	return out
}

// ParamNames returns the names of the parameters used by the graph, in order
// of first use.
func (g *Graph) ParamNames() []string { return append([]string(nil), g.order...) }

// buffer returns the store's buffer name; layers read and update it outside
// the graph's differentiation.
func (g *Graph) buffer(name string) (*tensor.Dense, error) {
	t, ok := g.store.vals[name]
	if !ok || !g.store.buffers[name] {
		return nil, fmt.Errorf("nn: no buffer %q in the store", name)
	}
	return t, nil
}

// Input returns a node bound to a new zero tensor of the given shape. The
// caller fills the tensor before each run of the graph's machine.
func (g *Graph) Input(name string, shape ...int) (*G.Node, *tensor.Dense) {
	t := tensor.New(tensor.Of(g.store.dtype), tensor.WithShape(shape...))
	return G.NodeFromAny(g.G, t, G.WithName(name)), t
}

// Scalar returns a constant scalar node of the graph's dtype.
func (g *Graph) Scalar(v float64) *G.Node { return scalarNode(g.store.dtype, v) }

// scalarNode returns a constant scalar node of dtype dt (float32 or
// float64).
func scalarNode(dt tensor.Dtype, v float64) *G.Node {
	if dt == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}

// Constant returns a constant node holding data (float64 values converted to
// the graph's dtype) with the given shape.
func (g *Graph) Constant(name string, data []float64, shape ...int) *G.Node {
	var t *tensor.Dense
	if g.store.dtype == tensor.Float32 {
		f := make([]float32, len(data))
		for i, v := range data {
			f[i] = float32(v)
		}
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	} else {
		t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), data...)))
	}
	return G.NewConstant(t, G.WithName(name))
}

// ScalarOf returns the value of a scalar Gorgonia value (a *F32, a *F64 or
// a one-element tensor) as a float64.
func ScalarOf(v G.Value) (float64, error) {
	switch x := v.(type) {
	case *G.F32:
		return float64(*x), nil
	case *G.F64:
		return float64(*x), nil
	case *tensor.Dense:
		switch d := x.Data().(type) {
		case float32:
			return float64(d), nil
		case float64:
			return d, nil
		case []float32:
			if len(d) == 1 {
				return float64(d[0]), nil
			}
		case []float64:
			if len(d) == 1 {
				return d[0], nil
			}
		}
	}
	return 0, fmt.Errorf("value %v is not a scalar", v)
}

// NewTapeMachine returns a Gorgonia tape machine that runs only the nodes
// needed for roots (a step's loss, its metrics and its parameters'
// gradients), where G.NewTapeMachine runs every node of the graph. The two
// differ after G.Grad: an op's SymDiff builds the gradients of all its
// inputs that depend on some parameter of the graph (see needsGrad), also
// those of parameters the differentiation was not asked for — in a
// generator step, the critic's weight gradients — and those stray nodes
// would otherwise run, unused, at every step.
func NewTapeMachine(g *G.ExprGraph, roots G.Nodes, opts ...G.VMOpt) (G.VM, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("nn: a tape machine needs at least one root node")
	}
	sub := g.ExactSubgraphRoots(roots...)
	prog, locMap, err := G.CompileFunction(g, sub.Inputs(), roots)
	if err != nil {
		return nil, fmt.Errorf("nn: compile the graph of %v: %w", roots[0], err)
	}
	return G.NewTapeMachine(g, append(opts, G.WithPrecompiled(prog, locMap))...), nil
}
