// Package webauthn is the WebAuthn factor: security keys and passkeys, the
// phishing-resistant second factor, built on go-webauthn. Registration hands
// the browser PublicKeyCredentialCreationOptions (Display.OptionsJSON) and
// takes the PublicKeyCredential JSON it returns (Proof.Payload);
// authentication does the same with request options and an assertion.
//
// The factor is stateless like every factor: the public key, signature
// counter, backup flags, transports and AAGUID of each credential live in
// the state the host seals. It declares MultipleCredentials, so a user holds
// several authenticators, each its own credential keyed by its credential
// ID, and it names the credential of an assertion (CredentialKeyer), so a
// discoverable passkey can sign a user in without a user name.
//
// Refusals carry a clear reason: an assertion for another origin or RP ID,
// one replayed, one without user verification where it is required, and a
// signature counter that went backwards (a cloned authenticator).
package webauthn
