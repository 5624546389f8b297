"""Helpers for the authentication tests (accounts, sessions, mutual TLS):
client certificates made with python3-cryptography (any validity period,
any CA), a keep-alive HTTPS client that can present a certificate, and
accounts files with settings and roles. Builds on agentlib."""
import datetime
import http.client
import json
import os
import ssl
import subprocess

from agentlib import AGENT, SEED_ITERATIONS, Response, open_private, pbkdf2_hash

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - Debian's python3-cryptography is expected
    HAVE_CRYPTOGRAPHY = False

PREDEFINED_ROLES = ("Administrator", "Operator", "ReadOnly")
# DESIGN.md: ReadOnly (no commands), Operator (+ read and configure commands),
# Administrator (+ accounts, roles, manager); write-full in no predefined role.
EXPECTED_ROLE_PRIVILEGES = {
    "Administrator": ({"Login", "ConfigureManager", "ConfigureUsers", "ConfigureSelf",
                       "ConfigureComponents"}, {"CxlCommandRead", "CxlCommandConfigure"}),
    "Operator": ({"Login", "ConfigureSelf", "ConfigureComponents"},
                 {"CxlCommandRead", "CxlCommandConfigure"}),
    "ReadOnly": ({"Login", "ConfigureSelf"}, set()),
}


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _write_key(key, path):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(path, 0o600)


def _write_cert(cert, path):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def make_ca(directory, cn):
    """A new CA in directory (ca.crt, ca.key); returns directory."""
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now_utc() - datetime.timedelta(days=1))
            .not_valid_after(now_utc() + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    _write_key(key, os.path.join(directory, "ca.key"))
    _write_cert(cert, os.path.join(directory, "ca.crt"))
    return directory


def issue_client(ca_dir, out_dir, stem, cn=None, emails=(), dns=(), valid_from=None,
                 valid_to=None, client_auth=True):
    """A client certificate signed by the CA in ca_dir (ca.crt, ca.key: the
    layout of certs/gen-dev-certs and make_ca). valid_from/valid_to are
    offsets from now as timedelta. Returns (cert path, key path)."""
    with open(os.path.join(ca_dir, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(ca_dir, "ca.crt"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else \
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "no common name")]
    start = now_utc() + (valid_from if valid_from is not None else -datetime.timedelta(hours=1))
    end = now_utc() + (valid_to if valid_to is not None else datetime.timedelta(days=7))
    b = (x509.CertificateBuilder().subject_name(x509.Name(attrs))
         .issuer_name(ca_cert.subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.ExtendedKeyUsage(
             [ExtendedKeyUsageOID.CLIENT_AUTH if client_auth else ExtendedKeyUsageOID.SERVER_AUTH]),
             critical=False))
    sans = [x509.RFC822Name(e) for e in emails] + [x509.DNSName(d) for d in dns]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = b.sign(ca_key, hashes.SHA256())
    os.makedirs(out_dir, exist_ok=True)
    crt, kp = os.path.join(out_dir, stem + ".crt"), os.path.join(out_dir, stem + ".key")
    _write_cert(cert, crt)
    _write_key(key, kp)
    return crt, kp


def seed_accounts(agent, accounts, roles=(), settings=None, iterations=SEED_ITERATIONS):
    """Write the accounts file before the agent starts. accounts: (user,
    password, role); roles: (id, [privileges]); settings: lockout settings."""
    os.makedirs(agent.state, mode=0o700, exist_ok=True)
    doc = {"Version": 1, "Accounts": [
        {"Id": str(i + 1), "UserName": u, "RoleId": r, "Enabled": True,
         "PasswordHash": pbkdf2_hash(p, iterations)} for i, (u, p, r) in enumerate(accounts)]}
    if roles:
        doc["Roles"] = [{"Id": rid, "Privileges": list(p)} for rid, p in roles]
    if settings:
        doc["Settings"] = settings
    with open_private(os.path.join(agent.state, "accounts.json")) as f:
        json.dump(doc, f)


def route_table():
    """The agent's route table (cxl-agent --print-routes)."""
    p = subprocess.run([AGENT, "--print-routes"], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def basic_header(user, password):
    import base64
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class Client:
    """One keep-alive HTTPS connection, optionally presenting a client
    certificate. request() returns agentlib.Response."""

    def __init__(self, agent, cert=None, host=None, timeout=30):
        self.agent = agent
        self.host = host or agent.host
        self.ctx = ssl.create_default_context(cafile=agent.ca)
        self.ctx.check_hostname = False
        if cert:
            self.ctx.load_cert_chain(cert[0], cert[1])
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPSConnection(self.host, self.agent.port, context=self.ctx,
                                                timeout=self.timeout)

    def request(self, method, path, body=None, headers=None, basic=None, token=None):
        hdrs = {"OData-Version": "4.0", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if basic:
            hdrs["Authorization"] = basic_header(*basic)
        if token:
            hdrs["X-Auth-Token"] = token
        hdrs.update(headers or {})
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                r = self.conn.getresponse()
                hdrs_in = {k.lower(): v for k, v in r.getheaders()}
                if hdrs_in.get("content-type", "").startswith("text/event-stream"):
                    # An event stream never ends by itself: status and
                    # headers are the answer; the connection is dropped.
                    self.close()
                    return Response(r.status, hdrs_in, "")
                text = r.read().decode(errors="replace")
                out = Response(r.status, hdrs_in, text)
                if r.will_close:
                    self.close()
                return out
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, ssl.SSLError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(client, user, password, headers=None):
    """POST to the Sessions collection; returns (Response, token, session id)."""
    r = client.request("POST", "/redfish/v1/SessionService/Sessions",
                       body={"UserName": user, "Password": password}, headers=headers)
    if r.status != 201:
        return r, None, None
    return r, r.header("x-auth-token"), r.json().get("Id")
