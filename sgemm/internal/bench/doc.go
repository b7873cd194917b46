// Package bench holds the benchmarks that compare otgen/sgemm's Sgemm with
// gonum's and, built with -tags openblas, OpenBLAS's, at the shapes of the
// DCGAN train steps:
//
//	go test -run '^$' -bench Sgemm ./sgemm/internal/bench
//	go test -tags openblas -run '^$' -bench Sgemm ./sgemm/internal/bench
//	OTGEN_SGEMM=avx2 go test -run '^$' -bench Sgemm/otgen ./sgemm/internal/bench
//
// It is a package of its own so that package sgemm stays free of cgo in
// every build.
package bench
