// Security keys and passkeys on the login pages. A form marked
// data-webauthn="create" or "get" carries the options the server issued in
// data-options (the JSON navigator.credentials.create or get takes, binary
// fields in base64url); on submit this script runs the ceremony and sends
// what the browser returned, in its toJSON() form, as the form's
// "credential" field. No framework and no inline script: the pages' CSP
// allows scripts from this host only.
"use strict";

(function () {
  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Options from JSON, for browsers without parse*OptionsFromJSON.
  function decodeOptions(kind, o) {
    o.challenge = toBytes(o.challenge);
    if (kind === "create") o.user.id = toBytes(o.user.id);
    (o.excludeCredentials || []).concat(o.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }

  function parseOptions(kind, json) {
    var PKC = window.PublicKeyCredential;
    if (kind === "create" && PKC.parseCreationOptionsFromJSON) return PKC.parseCreationOptionsFromJSON(json);
    if (kind === "get" && PKC.parseRequestOptionsFromJSON) return PKC.parseRequestOptionsFromJSON(json);
    return decodeOptions(kind, json);
  }

  // The credential in its toJSON() form, for browsers without toJSON.
  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    var r = cred.response, out = { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: toB64url(r.clientDataJSON) } };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }

  function showError(form, message) {
    var el = form.querySelector("[data-webauthn-error]");
    if (el) { el.textContent = message; el.hidden = false; }
  }

  function run(form) {
    var kind = form.getAttribute("data-webauthn");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(form, "This browser does not support security keys or passkeys.");
      return;
    }
    var publicKey = parseOptions(kind, JSON.parse(form.getAttribute("data-options")));
    var ceremony = kind === "create" ? navigator.credentials.create({ publicKey: publicKey }) : navigator.credentials.get({ publicKey: publicKey });
    ceremony.then(function (cred) {
      form.elements.credential.value = JSON.stringify(credentialJSON(cred));
      form.submit();
    }, function (err) {
      showError(form, err && err.name === "NotAllowedError"
        ? "The request was cancelled or timed out. Try again."
        : "Your security key or passkey could not be used: " + (err && err.message ? err.message : err));
    });
  }

  document.querySelectorAll("form[data-webauthn]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.elements.credential.value) return;
      ev.preventDefault();
      run(form);
    });
  });
})();
