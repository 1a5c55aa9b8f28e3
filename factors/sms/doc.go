// Package sms is the Factorgate factor for one-time codes sent by text
// message to a mobile phone.
//
// Enrollment takes the user's mobile number as the parameter "phone", in
// international (E.164) form, or in national form together with the
// parameter "country" (an ISO 3166 alpha-2 region such as "AU"). The number
// must be a valid number of a type that receives text messages: MOBILE, or
// FIXED_LINE_OR_MOBILE where the numbering plan cannot tell the two apart
// (North America, for one). Landlines, VoIP, pager, personal (forwarding),
// toll-free, premium-rate, shared-cost, UAN and voicemail numbers are refused:
// VoIP and forwarding numbers are not bound to one device (NIST SP 800-63B
// section 5.1.3.3 asks verifiers to make sure of that), and pagers cannot be
// relied on to receive codes. BeginEnrollment sends a code to the number and
// FinishEnrollment confirms the number with it; the credential then holds the
// number in E.164 form. Changing the number is a new enrollment.
//
// Challenge sends a fresh code to the enrolled number and Verify checks it.
// Each code:
//   - is drawn from crypto/rand (digits long);
//   - is stored only as HMAC-SHA256(key, challenge id || code), under a
//     random 32-byte key kept in the same state; the host seals every state
//     at rest with AES-GCM under a key held outside the database, so the key
//     beside the hash is as protected as the hash;
//   - is bound to the challenge that sent it: the random challenge id is part
//     of the hashed message, so a code never passes another challenge;
//   - expires after code_ttl and dies after max_attempts wrong tries
//     (ResultLockedByFactor: a new challenge is needed);
//   - is single use: the state returned with ResultOK marks it used, and a
//     second use is ResultReplayed;
//   - is superseded by a resend: the credential records the id of the latest
//     challenge and refuses any other.
//
// Challenges are throttled per enrolled number: one sooner than
// resend_interval after the last send is ResultThrottled with RetryAfter. The
// factor cannot throttle re-begun enrollments: it keeps no state between
// enrollments (the host replaces a pending enrollment with each new one), so
// bounding those is left to the host's lockout and rate limits.
//
// A message goes out through the sender the settings choose. The "log"
// sender, the default, writes the message (code included, number masked) to
// the plugin's log instead of sending it: it is for development only, and the
// factor warns when an instance is configured with it. The "webhook" sender
// POSTs JSON to an HTTPS endpoint; the "twilio" sender calls the Twilio
// Messages API. Both retry transient failures (network errors, HTTP 429 and
// 5xx) with exponential back-off, honour Retry-After within the time budget,
// and never follow redirects. A failed send is an error wrapping
// sdk.ErrTemporary and returns no state, so the user's state is unchanged;
// sends are at-least-once (a retried request may deliver a message twice),
// and the webhook body carries the challenge id for receivers that dedupe.
//
// Only masked numbers ("+61 4** *** 678") are shown or logged. Codes are
// never logged, except by the log sender.
//
// Settings (JSON, all optional):
//
//	key              meaning                                      default
//	digits           code length, 6-10                            6
//	code_ttl         Go duration a code lives, 1m-10m             "5m"
//	max_attempts     wrong tries a code survives, 1-10            3
//	resend_interval  shortest time between sends, 10s-1h          "30s"
//	issuer           name in the message, 1-64 bytes              "Factorgate"
//	message          text/template of the message                 "Your {{.Issuer}} code is {{.Code}}"
//	sender           {"type": "log" | "webhook" | "twilio", ...}   {"type": "log"}
//
// The message template may use only the fields {{.Issuer}}, {{.Code}} (at
// least once) and {{.Minutes}} (whole minutes the code lives); actions other
// than those fields (functions, conditions, loops) are refused, and the
// message must render to at most 459 bytes (three concatenated SMS segments).
// The code's length, lifetime and attempts are fixed when it is sent; the
// enrollment TTL the factor describes is code_ttl.
//
// Sender settings:
//
//	type "webhook":
//	  url                  endpoint; https unless allow_insecure_http  (required)
//	  allow_insecure_http  allow http:// (tests, local relays)          false
//	  header_name          header to send for authentication           none
//	  header_value         its value (required with header_name)       none
//	  instance             label sent as "instance" in the body        "sms"
//	  timeout              Go duration for the whole send, 1s-60s      "5s"
//	  max_retries          retries of transient failures, 0-5          2
//	  The body is {"to": "+61...", "body": "...", "instance": "...",
//	  "challenge_id": "..."}; any 2xx answer is success.
//
//	type "twilio":
//	  account_sid          "AC" and 32 hex digits                      (required)
//	  auth_token           the account's auth token                    (required)
//	  from                 E.164 number, or a Messaging Service SID    (required)
//	                       ("MG" and 32 hex digits)
//	  base_url             API root; https unless allow_insecure_http  "https://api.twilio.com"
//	  allow_insecure_http  allow http:// (tests)                       false
//	  timeout, max_retries as for the webhook
//
// The state formats are described in state.go.
package sms
