package sms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInputLen bounds the phone parameter; the longest E.164 number is 16
// characters, and a national number with spaces and brackets a little more.
const maxPhoneInputLen = 40

// textableTypes are the number types the factor accepts: those that receive
// text messages on one device. FIXED_LINE_OR_MOBILE is what numbering plans
// that cannot tell the two apart (North America, for one) report for every
// number; a landline among them fails at the first send.
var textableTypes = map[phonenumbers.PhoneNumberType]bool{
	phonenumbers.MOBILE:               true,
	phonenumbers.FIXED_LINE_OR_MOBILE: true,
}

// typeNames name refused number types in user-facing messages.
var typeNames = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:      "a landline",
	phonenumbers.TOLL_FREE:       "a toll-free",
	phonenumbers.PREMIUM_RATE:    "a premium-rate",
	phonenumbers.SHARED_COST:     "a shared-cost",
	phonenumbers.VOIP:            "an internet (VoIP)",
	phonenumbers.PERSONAL_NUMBER: "a personal (forwarding)",
	phonenumbers.PAGER:           "a pager",
	phonenumbers.UAN:             "a company (UAN)",
	phonenumbers.VOICEMAIL:       "a voicemail",
}

// parsePhone reads the number a user typed, in international form or, with
// country, in national form, and returns it in E.164 form if it is a valid
// number that receives text messages. The error texts are user-safe: they
// go to the user as they are.
func parsePhone(raw, country string) (string, error) {
	raw = strings.TrimSpace(raw)
	country = strings.ToUpper(strings.TrimSpace(country))
	switch {
	case raw == "":
		return "", errors.New("enter your mobile phone number")
	case len(raw) > maxPhoneInputLen:
		return "", errors.New("the phone number is too long")
	case strings.IndexFunc(raw, func(r rune) bool { return !strings.ContainsRune("0123456789+ -.()", r) }) >= 0:
		// The parser would read letters as a vanity number ("1-800-FLOWERS")
		// and drop other characters; a typed mobile number has neither.
		return "", errors.New("the phone number may contain only digits, spaces, dashes, dots, brackets and a leading +")
	case strings.LastIndex(raw, "+") > 0:
		return "", errors.New("a + may only start the phone number")
	}
	if country != "" {
		if !isRegion(country) {
			return "", errors.New("the country must be a two-letter ISO 3166 code such as AU or GB")
		}
	} else if !strings.HasPrefix(raw, "+") {
		return "", errors.New("enter the phone number in international format, starting with + and the country code, or give its country")
	}
	num, err := phonenumbers.Parse(raw, country)
	if err != nil {
		return "", errors.New("the phone number could not be read; enter it in international format, starting with + and the country code")
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", errors.New("this is not a valid phone number")
	}
	if t := phonenumbers.GetNumberType(num); !textableTypes[t] {
		if kind, ok := typeNames[t]; ok {
			return "", fmt.Errorf("this is %s number; enter a mobile phone number", kind)
		}
		return "", errors.New("this number cannot be confirmed as a mobile number; enter a mobile phone number")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// isRegion reports whether region is a two-letter region the numbering
// metadata knows.
func isRegion(region string) bool {
	if len(region) != 2 || region[0] < 'A' || region[0] > 'Z' || region[1] < 'A' || region[1] > 'Z' {
		return false
	}
	return phonenumbers.GetSupportedRegions()[region]
}

// checkE164 checks that s is a phone number in canonical E.164 form, as the
// factor stores it.
func checkE164(s string) error {
	if !strings.HasPrefix(s, "+") || len(s) > 16 {
		return errors.New("not an E.164 number")
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return fmt.Errorf("not an E.164 number: %v", err)
	}
	if phonenumbers.Format(num, phonenumbers.E164) != s || num.GetExtension() != "" {
		return errors.New("not a canonical E.164 number")
	}
	return nil
}

// maskPhone returns the number as people may see it: the country code, the
// first national digit and the last three, the rest masked, grouped as in
// the international format ("+61 4** *** 678"). Short national numbers show
// at most half their digits.
func maskPhone(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return "+" + strings.Repeat("*", max(len(e164)-1, 1))
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	prefix := "+" + strconv.Itoa(int(num.GetCountryCode())) + " "
	national, ok := strings.CutPrefix(phonenumbers.Format(num, phonenumbers.INTERNATIONAL), prefix)
	if !ok || countDigits(national) != len(nsn) {
		national = nsn
	}
	shown := min(len(nsn)/2, 4)
	first, last := min(shown, 1), max(shown-1, 0)
	var b strings.Builder
	b.WriteString(prefix)
	i := 0
	for _, r := range national {
		if r < '0' || r > '9' {
			b.WriteRune(r)
			continue
		}
		if i < first || i >= len(nsn)-last {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
