// Package nn builds neural-network layers as Gorgonia subgraphs over named
// parameters.
//
// Parameters live in a Store, independent of any graph: a Store can be listed,
// saved and loaded by name. A Graph is one Gorgonia expression graph bound to a
// Store; every graph that asks for parameter "enc.l0.w" gets a node bound to
// the same *tensor.Dense, so an optimiser that updates the tensor in place
// updates it for all graphs at once. This is how a GAN's critic step and
// generator step share parameters while each has its own graph (Gorgonia
// cannot differentiate two overlapping losses in one graph).
//
// Layers implement Layer (Forward). Layers used inside a gradient penalty also
// implement InputGrader: they build the vector-Jacobian product with respect to
// their input as ordinary graph nodes, so a penalty on the input gradient is an
// ordinary expression that one call to Grad differentiates (Gorgonia cannot
// differentiate twice by calling Grad twice).
package nn
