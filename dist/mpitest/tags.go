//go:build !openblas

package mpitest

const extraTags = ""
