package totp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/factorgate/factorgate/sdk"
)

// maxAccountLen bounds the account name put in the URI and its QR code.
const maxAccountLen = 256

// qrQuietZone is the white border around a QR code, in modules (ISO/IEC 18004).
const qrQuietZone = 4

const reasonExpired = "the enrollment has expired; start again"

// BeginEnrollment draws a new 160-bit secret and returns it as pending state
// together with what the user needs to add it to an authenticator app: the
// base32 secret, the otpauth:// URI and a QR code of that URI. The account
// name in the URI is the user's name, or their ID when they have no name.
func (f *Factor) BeginEnrollment(_ context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	if req.Now.IsZero() || req.Now.Unix() < 0 {
		return sdk.BeginEnrollmentResponse{}, errors.New("totp: begin enrollment: the request carries no valid time")
	}
	account := req.User.Name
	if account == "" {
		account = req.User.ID
	}
	switch {
	case account == "":
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("%w: the user has no name or ID", sdk.ErrInvalidParams)
	case len(account) > maxAccountLen:
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("%w: the user name is longer than %d bytes", sdk.ErrInvalidParams, maxAccountLen)
	}

	secret, err := sdk.RandomBytes(f.rand, secretLen)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("totp: begin enrollment: %w", err)
	}
	s := f.settings
	p := params{Secret: secret, Algorithm: s.Algorithm, Digits: s.Digits, Period: s.Period, Skew: s.Skew}
	pending, err := encodePending(p, req.Now)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("totp: begin enrollment: %w", err)
	}
	secretText := b32.EncodeToString(secret)
	uri := provisioningURI(s.Issuer, account, secretText, p)
	qrPNG, err := qrCodePNG(uri, s.QRSize)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("totp: begin enrollment: %w", err)
	}
	return sdk.BeginEnrollmentResponse{
		PendingState: pending,
		Display: sdk.Display{
			Secret:    secretText,
			URI:       uri,
			QRPNG:     qrPNG,
			ExpiresAt: req.Now.Add(time.Duration(s.EnrollmentTTL)),
			Extra: map[string]string{
				"issuer":    s.Issuer,
				"account":   account,
				"algorithm": p.Algorithm,
				"digits":    strconv.Itoa(p.Digits),
				"period":    strconv.Itoa(p.Period),
			},
		},
	}, nil
}

// FinishEnrollment confirms an enrollment with a code from the app. A pending
// state older than the enrollment TTL is ResultExpired; a code that matches no
// step in the window is ResultInvalid. On a match the credential state is
// returned with the matched step recorded as used, so the confirming code
// cannot also be used to log in.
func (f *Factor) FinishEnrollment(_ context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	st, err := decodePending(req.PendingState)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("totp: finish enrollment: %w", err)
	}
	if !req.Now.Before(st.Created.Add(time.Duration(f.settings.EnrollmentTTL))) {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultExpired, Reason: reasonExpired}, nil
	}
	code, err := sdk.NormalizeCode(req.Proof.Code, st.Digits)
	if err != nil {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: fmt.Sprintf(reasonMalformed, st.Digits)}, nil
	}
	current, ok := timeStep(req.Now, st.Period)
	if !ok {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: reasonClock}, nil
	}
	step, found, err := matchStep(st.params, code, current, st.Skew)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("totp: finish enrollment: %w", err)
	}
	if !found {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: reasonInvalid}, nil
	}
	credential, err := encodeCredential(st.params, step)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("totp: finish enrollment: %w", err)
	}
	return sdk.FinishEnrollmentResponse{Result: sdk.ResultOK, CredentialState: credential}, nil
}

// provisioningURI builds the Key URI authenticator apps read:
//
//	otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=...&digits=...&period=...
//
// The issuer and account are percent-encoded (a colon in the account too, so
// the first colon of the label always ends the issuer).
func provisioningURI(issuer, account, secret string, p params) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(escapeURIComponent(issuer))
	b.WriteByte(':')
	b.WriteString(escapeURIComponent(account))
	b.WriteString("?secret=")
	b.WriteString(secret)
	b.WriteString("&issuer=")
	b.WriteString(escapeURIComponent(issuer))
	b.WriteString("&algorithm=")
	b.WriteString(p.Algorithm)
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(p.Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.Itoa(p.Period))
	return b.String()
}

// escapeURIComponent percent-encodes every byte except the RFC 3986 unreserved
// characters and "@" (common in account names and valid in a path or query).
// A space becomes %20, never "+", which some apps show literally.
func escapeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '@':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
	}
	return b.String()
}

// qrCodePNG renders content as a QR code (error correction level M) in a PNG
// of size by size pixels, with a quiet zone of four modules. When the code
// does not fit at one pixel per module the image grows to fit it.
func qrCodePNG(content string, size int) ([]byte, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	modules := code.Bounds().Dx()
	total := modules + 2*qrQuietZone
	if size < total {
		size = total
	}
	scale := size / total
	offset := (size - modules*scale) / 2

	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for my := 0; my < modules; my++ {
		for mx := 0; mx < modules; mx++ {
			if !dark(code.At(mx, my)) {
				continue
			}
			for y := offset + my*scale; y < offset+(my+1)*scale; y++ {
				row := img.Pix[y*img.Stride:]
				for x := offset + mx*scale; x < offset+(mx+1)*scale; x++ {
					row[x] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

func dark(c color.Color) bool {
	y := color.GrayModel.Convert(c).(color.Gray).Y
	return y < 0x80
}
