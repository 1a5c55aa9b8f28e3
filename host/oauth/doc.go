// Package oauth is the host's OAuth 2.0 and OpenID Connect provider: ory/fosite
// composed with SQL storage in host/store, a server-rendered login that proves
// a second factor through host/mfa, and Auth0's MFA grants for API clients.
// Tokens say what the user proved.
//
// # Endpoints
//
// [Provider.Register] serves, below the public URL (the issuer):
//
//	GET  /.well-known/openid-configuration   discovery (acr_values_supported, the MFA grants, S256)
//	GET  /.well-known/jwks.json              RS256 and ES256 keys, retired ones until their tokens expire
//	GET  /oauth2/auth                        authorization code (PKCE S256; required of public clients)
//	POST /oauth2/token, /oauth/token         code, refresh (rotated, reuse revokes the grant),
//	                                         client credentials, the password step and the MFA grants
//	POST /oauth2/introspect                  RFC 7662, with amr, acr and auth_time
//	POST /oauth2/revoke, /oauth/revoke       RFC 7009
//	GET  /userinfo                           OpenID Connect UserInfo
//	GET  /login, POST /login/...             the login pages
//	GET  /account, POST /account/...         the account page (see below)
//	GET, POST /oauth2/logout                 RP-Initiated Logout 1.0 (end_session_endpoint): ends the
//	                                         login session; post_logout_redirect_uri registered, exact
//	POST /mfa/associate, /mfa/challenge      Auth0's MFA API; GET /mfa/authenticators
//
// There is no implicit, hybrid or password grant.
//
// # Login
//
// The authorization endpoint lets fosite validate the request, then decides
// whether the browser's session (host/auth, kept in the database) meets it:
// recent enough for max_age, not overridden by prompt=login (or max_age=0),
// and with a second factor when the client requires MFA, when acr_values asks
// for an MFA class, or whenever the user has a factor enrolled. If it does,
// the code is issued at once (there is no consent screen); otherwise a login
// flow starts, sealed in the database and bound to the browser. Its steps are
// plain HTML forms with CSRF tokens: password, then the user's factor (chosen
// when there are several; an SMS is sent on entering the step), or, when a
// factor is required and the user has none, enrollment (a QR code and the
// secret), whose first code counts as the second factor and which enrolls
// backup codes shown once. A session that lacks only the second factor is
// stepped up without asking for the password again. Password attempts count
// against the same per-user lockout as second factors, and only a completed
// login resets it.
//
// # Account page
//
// /account is the user's own page, behind the login session (a visit
// without one signs in first and comes back): their factors, with the name
// they gave each, when it was added and last used; adding one (the login's
// enrolment steps and choices); removing one and getting new backup codes;
// their last 20 security events with the client address and browser; signing
// out, and signing out everywhere, which ends every session of the user and
// revokes every code and token issued to them. Removing a factor, new backup
// codes, and adding a factor when the user has one need a second factor
// proven in the last 5 minutes: the session's auth_time once it holds "mfa",
// since only second factors are added to a session after it starts. When it
// is older, the page asks for one first and then carries the action out.
//
// # Claims
//
// ID tokens, introspection responses and JWT access tokens (RFC 9068, per
// client) carry amr (RFC 8176: pwd, the factor's values such as otp, sms, hwk
// or swk and user, and mfa once a second factor joins the password), acr
// ([ACRPassword] or [ACRMFA], or [ACRRefedsMFA] when the client asked for
// that one) and auth_time, the time the last factor was proven. A refresh
// keeps them.
//
// # MFA grants
//
// Clients registered as first-party speak Auth0's MFA API. grant_type=password
// or http://auth0.com/oauth/grant-type/password-realm checks the password and
// always answers 403 {"error":"mfa_required","mfa_token":...}: the step never
// issues tokens on a password alone. The mfa_token is random, stored hashed,
// bound to its client, single-use and short-lived. With it the client lists
// /mfa/authenticators, enrolls a first factor with /mfa/associate (otp, or oob
// over sms; recovery codes come with it), sends an SMS with /mfa/challenge, and
// redeems it with the mfa-otp, mfa-oob or mfa-recovery-code grant. The grant
// verifies the code, or confirms the enrollment, consumes the mfa_token and
// stores the tokens in one transaction; a wrong code counts against the
// user's lockout. A recovery code is replaced by a fresh set, returned as
// recovery_code (and recovery_codes).
//
// # Sign-in of the documented dialects
//
// The dialects in host/dialects sign users in through the provider without a
// browser redirect: [Provider.CheckSignInPassword] checks the password with
// the login's lockout and audit, [Provider.BeginSignIn] stores a pending
// second step (random, stored hashed, bound to the dialect's client and the
// user, single-use, at most five minutes), [Provider.CompleteSignIn] proves
// the second factor and consumes the step in one transaction, and the tokens
// it issues (JWT access tokens, a refresh token where the dialect has one)
// go to the dialect's built-in public client, registered at first use. A
// SlugBase sign-in ends in a browser session instead.
// [Provider.AuthenticateAccessToken] accepts the provider's access tokens
// wherever a personal API token is accepted (see auth.Chain).
//
// # Step-up (RFC 9470)
//
// A resource server that receives a token whose login is too weak or too old
// for the request answers 401 with
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication",
//	  error_description="A different authentication level is required",
//	  acr_values="urn:factorgate:acr:mfa", max_age=300
//
// (the package examples/stepup builds that answer and checks the acr and
// auth_time from introspection or a JWT access token). The client runs the authorization request again
// with the acr_values and max_age of the challenge. The login layer honours
// them before fosite issues the code: acr_values naming an MFA class makes
// the user prove (or enroll) a second factor, without the password again when
// their session is recent enough; max_age older than the session makes them
// sign in afresh. The new token's acr, amr and auth_time say so.
package oauth
