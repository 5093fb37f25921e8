"""A second WebAuthn verifier for the tests: Debian's python3-fido2 (Yubico's) checks the
ceremonies our verifier checks, and reports what it parsed. Reads one JSON object on standard
input: {"rpId", "origin", "registration": {"challenge", "credential"}, "assertions": [{"challenge",
"credential"}]} (credentials in the browser's toJSON() form, user verification required); prints
what it found, each ceremony "ok" or the error it raised."""
import json
import sys

from fido2 import cbor
from fido2.client import ClientData
from fido2.ctap2 import AttestationObject, AuthenticatorData
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import PublicKeyCredentialRpEntity


def flags(auth_data):
    return {"up": bool(auth_data.flags & 0x01), "uv": bool(auth_data.flags & 0x04), "be": bool(auth_data.flags & 0x08), "bs": bool(auth_data.flags & 0x10)}


def main():
    given = json.load(sys.stdin)
    server = Fido2Server(PublicKeyCredentialRpEntity(given["rpId"], "test"), verify_origin=lambda origin: origin == given["origin"])
    out = {"registration": None, "assertions": []}
    registration = given["registration"]
    response = registration["credential"]["response"]
    credential = None
    try:
        _, state = server.register_begin({"id": b"user", "name": "user"}, user_verification="required", challenge=websafe_decode(registration["challenge"]))
        auth_data = server.register_complete(state, ClientData(websafe_decode(response["clientDataJSON"])), AttestationObject(websafe_decode(response["attestationObject"])))
        credential = auth_data.credential_data
        out["registration"] = {
            "ok": True,
            "credentialId": websafe_encode(credential.credential_id),
            "alg": credential.public_key[3],
            "counter": auth_data.counter,
            "flags": flags(auth_data),
            "aaguid": credential.aaguid.hex(),
        }
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        out["registration"] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    for assertion in given["assertions"]:
        response = assertion["credential"]["response"]
        try:
            if credential is None:
                raise ValueError("no registered credential")
            _, state = server.authenticate_begin([credential], user_verification="required", challenge=websafe_decode(assertion["challenge"]))
            auth_data = AuthenticatorData(websafe_decode(response["authenticatorData"]))
            server.authenticate_complete(state, [credential], websafe_decode(assertion["credential"]["rawId"]), ClientData(websafe_decode(response["clientDataJSON"])), auth_data, websafe_decode(response["signature"]))
            out["assertions"].append({"ok": True, "counter": auth_data.counter, "flags": flags(auth_data)})
        except Exception as error:  # noqa: BLE001
            out["assertions"].append({"ok": False, "error": f"{type(error).__name__}: {error}"})
    json.dump(out, sys.stdout)


main()
