package factortest

import (
	"context"

	"github.com/factorgate/factorgate/sdk"
)

// wrap returns f recording into r, with the same optional interfaces as f
// (the server looks for them, and they make its capabilities), and wrapping
// what Configure returns.
func (r *factorRecorder) wrap(f sdk.Factor) sdk.Factor {
	b := &recFactor{f: f, r: r}
	e, isE := f.(sdk.Enroller)
	c, isC := f.(sdk.Challenger)
	g, isG := f.(sdk.Configurer)
	d, isD := f.(sdk.DestinationNamer)
	re, rc, rg, rd := recEnroller{e: e, r: r}, recChallenger{c: c, r: r}, recConfigurer{c: g, r: r}, recDestinationer{d: d}
	type (
		E = recEnroller
		C = recChallenger
		G = recConfigurer
		D = recDestinationer
	)
	switch mask(isE, isC, isG, isD) {
	case 0b1111:
		return struct {
			*recFactor
			E
			C
			G
			D
		}{b, re, rc, rg, rd}
	case 0b1110:
		return struct {
			*recFactor
			E
			C
			G
		}{b, re, rc, rg}
	case 0b1101:
		return struct {
			*recFactor
			E
			C
			D
		}{b, re, rc, rd}
	case 0b1100:
		return struct {
			*recFactor
			E
			C
		}{b, re, rc}
	case 0b1011:
		return struct {
			*recFactor
			E
			G
			D
		}{b, re, rg, rd}
	case 0b1010:
		return struct {
			*recFactor
			E
			G
		}{b, re, rg}
	case 0b1001:
		return struct {
			*recFactor
			E
			D
		}{b, re, rd}
	case 0b1000:
		return struct {
			*recFactor
			E
		}{b, re}
	case 0b0111:
		return struct {
			*recFactor
			C
			G
			D
		}{b, rc, rg, rd}
	case 0b0110:
		return struct {
			*recFactor
			C
			G
		}{b, rc, rg}
	case 0b0101:
		return struct {
			*recFactor
			C
			D
		}{b, rc, rd}
	case 0b0100:
		return struct {
			*recFactor
			C
		}{b, rc}
	case 0b0011:
		return struct {
			*recFactor
			G
			D
		}{b, rg, rd}
	case 0b0010:
		return struct {
			*recFactor
			G
		}{b, rg}
	case 0b0001:
		return struct {
			*recFactor
			D
		}{b, rd}
	}
	return b
}

// mask packs which optional interfaces a factor has, Enroller first.
func mask(flags ...bool) int {
	m := 0
	for _, f := range flags {
		m <<= 1
		if f {
			m |= 1
		}
	}
	return m
}

// recDestinationer passes NameDestination through; it has no state to
// record.
type recDestinationer struct{ d sdk.DestinationNamer }

func (d recDestinationer) NameDestination(ctx context.Context, req sdk.DestinationRequest) (sdk.DestinationResponse, error) {
	return d.d.NameDestination(ctx, req)
}
