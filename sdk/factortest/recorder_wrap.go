package factortest

import (
	"context"

	"github.com/factorgate/factorgate/sdk"
)

// wrap returns f recording into r, with the same optional interfaces as f
// (the server looks for them, and they make its capabilities), and wrapping
// what Configure returns.
func (r *factorRecorder) wrap(f sdk.Factor) sdk.Factor {
	e, isE := f.(sdk.Enroller)
	c, isC := f.(sdk.Challenger)
	g, isG := f.(sdk.Configurer)
	d, isD := f.(sdk.DestinationNamer)
	k, isK := f.(sdk.CredentialKeyer)
	p := recParts{b: &recFactor{f: f, r: r}, e: recEnroller{e: e, r: r}, c: recChallenger{c: c, r: r}, g: recConfigurer{c: g, r: r}, d: recDestinationer{d: d}}
	if isK && isE && isC && !isD {
		// A factor that names credentials has several per user and a
		// browser ceremony: it enrolls and challenges, and sends nothing.
		return p.withKeyer(recKeyer{k: k}, isG)
	}
	if isD {
		return p.withNamer(mask(isE, isC, isG))
	}
	return p.plain(mask(isE, isC, isG))
}

// recParts are the recording parts a wrapped factor is made of.
type recParts struct {
	b *recFactor
	e recEnroller
	c recChallenger
	g recConfigurer
	d recDestinationer
}

// plain is the factor with the interfaces m names (Enroller, Challenger,
// Configurer, from the high bit), without DestinationNamer.
func (p recParts) plain(m int) sdk.Factor {
	switch m {
	case 0b111:
		return struct {
			*recFactor
			recEnroller
			recChallenger
			recConfigurer
		}{p.b, p.e, p.c, p.g}
	case 0b110:
		return struct {
			*recFactor
			recEnroller
			recChallenger
		}{p.b, p.e, p.c}
	case 0b101:
		return struct {
			*recFactor
			recEnroller
			recConfigurer
		}{p.b, p.e, p.g}
	case 0b100:
		return struct {
			*recFactor
			recEnroller
		}{p.b, p.e}
	case 0b011:
		return struct {
			*recFactor
			recChallenger
			recConfigurer
		}{p.b, p.c, p.g}
	case 0b010:
		return struct {
			*recFactor
			recChallenger
		}{p.b, p.c}
	case 0b001:
		return struct {
			*recFactor
			recConfigurer
		}{p.b, p.g}
	}
	return p.b
}

// withNamer is plain with DestinationNamer as well.
func (p recParts) withNamer(m int) sdk.Factor {
	switch m {
	case 0b111:
		return struct {
			*recFactor
			recEnroller
			recChallenger
			recConfigurer
			recDestinationer
		}{p.b, p.e, p.c, p.g, p.d}
	case 0b110:
		return struct {
			*recFactor
			recEnroller
			recChallenger
			recDestinationer
		}{p.b, p.e, p.c, p.d}
	case 0b101:
		return struct {
			*recFactor
			recEnroller
			recConfigurer
			recDestinationer
		}{p.b, p.e, p.g, p.d}
	case 0b100:
		return struct {
			*recFactor
			recEnroller
			recDestinationer
		}{p.b, p.e, p.d}
	case 0b011:
		return struct {
			*recFactor
			recChallenger
			recConfigurer
			recDestinationer
		}{p.b, p.c, p.g, p.d}
	case 0b010:
		return struct {
			*recFactor
			recChallenger
			recDestinationer
		}{p.b, p.c, p.d}
	case 0b001:
		return struct {
			*recFactor
			recConfigurer
			recDestinationer
		}{p.b, p.g, p.d}
	}
	return struct {
		*recFactor
		recDestinationer
	}{p.b, p.d}
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

// withKeyer is a factor that enrolls, challenges and names credentials,
// with Configurer when configurable is set.
func (p recParts) withKeyer(k recKeyer, configurable bool) sdk.Factor {
	if configurable {
		return struct {
			*recFactor
			recEnroller
			recChallenger
			recConfigurer
			recKeyer
		}{p.b, p.e, p.c, p.g, k}
	}
	return struct {
		*recFactor
		recEnroller
		recChallenger
		recKeyer
	}{p.b, p.e, p.c, k}
}

// recKeyer passes CredentialKey through; it has no state to record.
type recKeyer struct{ k sdk.CredentialKeyer }

func (k recKeyer) CredentialKey(ctx context.Context, proof sdk.Proof) (string, error) {
	return k.k.CredentialKey(ctx, proof)
}

// recDestinationer passes NameDestination through; it has no state to
// record.
type recDestinationer struct{ d sdk.DestinationNamer }

func (d recDestinationer) NameDestination(ctx context.Context, req sdk.DestinationRequest) (sdk.DestinationResponse, error) {
	return d.d.NameDestination(ctx, req)
}
