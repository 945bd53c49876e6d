#!/usr/bin/env bash
# generate.sh writes vectors.tsv: password hashes made by the tools that
# define (or independently implement) each format, never by passhash.
#
# Needs: openssl (3.x), htpasswd (Debian apache2-utils), argon2 (Debian
# argon2, the reference implementation's CLI), python3 (stdlib only:
# hashlib, and crypt, which calls the system's libxcrypt).
#
# Columns (tab-separated): scheme given to Import ("-" = self-describing),
# hash, salt ("-" = none), password, and the command that made the hash.
# Random salts (htpasswd) make the file differ between runs; every line is
# still a valid vector.
set -euo pipefail
cd "$(dirname "$0")"
out=vectors.tsv
: > "$out"

emit() { # scheme hash salt password source
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$out"
}

long='The quick brown fox jumps over the lazy dog, then over the lazy dog again, and once more for length!'
passwords=(password '' 'correct horse battery staple' 'pässwörd密码' "$long")

# crypt(3): md5crypt, apr1, SHA-256-crypt and SHA-512-crypt by openssl passwd.
for pw in "${passwords[@]}"; do
	for salt in saltsalt Ab3/.z; do
		emit - "$(openssl passwd -1 -salt "$salt" "$pw")" - "$pw" "openssl passwd -1 -salt $salt"
		emit - "$(openssl passwd -apr1 -salt "$salt" "$pw")" - "$pw" "openssl passwd -apr1 -salt $salt"
	done
	# openssl passwd -5/-6 print "<NULL>" for an empty password: python3
	# crypt (libxcrypt) makes those below.
	[ -z "$pw" ] && continue
	for salt in saltsalt 0123456789abcdef Ab3/.z 'rounds=1000$short' 'rounds=12345$saltsalt' 'rounds=5000$saltsalt'; do
		emit - "$(openssl passwd -5 -salt "$salt" "$pw")" - "$pw" "openssl passwd -5 -salt '$salt'"
		emit - "$(openssl passwd -6 -salt "$salt" "$pw")" - "$pw" "openssl passwd -6 -salt '$salt'"
	done
done
# A salt over 8 (md5crypt) or 16 (SHA-crypt) characters is cut by the tool.
emit - "$(openssl passwd -1 -salt 0123456789 password)" - password "openssl passwd -1 -salt 0123456789"
emit - "$(openssl passwd -6 -salt 0123456789abcdefXYZ password)" - password "openssl passwd -6 -salt 0123456789abcdefXYZ"

# htpasswd (random salts): apr1, bcrypt ($2y$), SHA-crypt.
for pw in password '' 'pässwörd密码' "$long"; do
	emit - "$(htpasswd -nbm u "$pw" | cut -d: -f2-)" - "$pw" "htpasswd -nbm u"
	emit - "$(htpasswd -nbB -C 4 u "$pw" | cut -d: -f2-)" - "$pw" "htpasswd -nbB -C 4 u"
	emit - "$(htpasswd -nb2 -r 2000 u "$pw" | cut -d: -f2-)" - "$pw" "htpasswd -nb2 -r 2000 u"
	emit - "$(htpasswd -nb5 u "$pw" | cut -d: -f2-)" - "$pw" "htpasswd -nb5 u"
done
emit - "$(htpasswd -nbB -C 6 u password | cut -d: -f2-)" - password "htpasswd -nbB -C 6 u"

# argon2id and argon2i by the reference implementation's CLI
# (-m is log2 of KiB; -l the key length; the salt is the first argument).
argon() { # password salt args...
	local pw=$1 salt=$2
	shift 2
	emit - "$(printf '%s' "$pw" | argon2 "$salt" "$@" -e)" - "$pw" "printf %s PASSWORD | argon2 $salt $* -e"
}
# (The CLI refuses an empty password.)
for pw in password 'pässwörd密码'; do
	argon "$pw" somesaltsomesalt -id -t 2 -m 12 -p 1
	argon "$pw" somesaltsomesalt -i -t 3 -m 10 -p 2
done
argon password saltsalt -id -t 1 -m 8 -p 4 -l 16
# Spring's Argon2PasswordEncoder writes the PHC string after its {id}.
spring_argon() { # id password salt args...
	local id=$1 pw=$2 salt=$3
	shift 3
	emit - "$id$(printf '%s' "$pw" | argon2 "$salt" "$@" -e)" - "$pw" "printf %s PASSWORD | argon2 $salt $* -e, prefixed $id"
}
spring_argon '{argon2}' password somesaltsomesalt -id -t 3 -m 12 -p 1 -l 32
spring_argon '{argon2@SpringSecurity_v5_8}' password somesaltsomesalt -id -t 2 -m 11 -p 1 -l 32
argon password 0123456789abcdef0123 -id -t 2 -m 13 -p 2 -l 64

# The rest by python3: hashlib (an independent implementation of PBKDF2,
# scrypt and the digests) and crypt (the system's libxcrypt, for $2a$/$2b$).
python3 -W ignore - "$out" <<'PY'
import base64, crypt, hashlib, sys

out = open(sys.argv[1], "a")
long = "The quick brown fox jumps over the lazy dog, then over the lazy dog again, and once more for length!"
pws = ["password", "", "correct horse battery staple", "pässwörd密码", long]

def emit(scheme, h, salt, pw, src):
    out.write("\t".join([scheme, h, salt or "-", pw, src]) + "\n")

def ab64(b):  # passlib's adapted base64
    return base64.b64encode(b).decode().rstrip("=").replace("+", ".")

def b64s(b):  # standard base64 without padding
    return base64.b64encode(b).decode().rstrip("=")

# SHA-crypt of the empty password (openssl passwd cannot make it).
for setting in ("$5$saltsalt", "$6$saltsalt", "$5$rounds=2000$saltsalt", "$6$rounds=2000$Ab3/.z"):
    emit("-", crypt.crypt("", setting), "", "", "python3 crypt.crypt('', '%s') (libxcrypt)" % setting)

for pw in pws:
    p = pw.encode()
    # bcrypt $2a$ and $2b$ through libxcrypt, fixed salts.
    for ident in ("2a", "2b", "2y"):
        emit("-", crypt.crypt(pw, "$%s$05$abcdefghijklmnopqrstuu" % ident), "", pw,
             "python3 crypt.crypt(pw, '$%s$05$abcdefghijklmnopqrstuu') (libxcrypt)" % ident)
    # Django PBKDF2PasswordHasher / PBKDF2SHA1PasswordHasher.
    for algo, it in (("sha256", 1000), ("sha1", 1000)):
        k = hashlib.pbkdf2_hmac(algo, p, b"seasalt2", it)
        emit("-", "pbkdf2_%s$%d$seasalt2$%s" % (algo, it, base64.b64encode(k).decode()), "", pw,
             "hashlib.pbkdf2_hmac('%s', pw, b'seasalt2', %d), Django layout" % (algo, it))
    # Werkzeug pbkdf2:<digest>:<iterations>$salt$hex.
    for algo in ("sha256", "sha1", "sha512"):
        k = hashlib.pbkdf2_hmac(algo, p, b"KyrgRrTw", 2000)
        emit("-", "pbkdf2:%s:2000$KyrgRrTw$%s" % (algo, k.hex()), "", pw,
             "hashlib.pbkdf2_hmac('%s', pw, b'KyrgRrTw', 2000).hex(), Werkzeug layout" % algo)
    # passlib $pbkdf2$ (sha1), $pbkdf2-sha256$, $pbkdf2-sha512$.
    salt = bytes(range(200, 216))
    for ident, algo in (("pbkdf2", "sha1"), ("pbkdf2-sha256", "sha256"), ("pbkdf2-sha512", "sha512")):
        k = hashlib.pbkdf2_hmac(algo, p, salt, 1500)
        emit("-", "$%s$1500$%s$%s" % (ident, ab64(salt), ab64(k)), "", pw,
             "hashlib.pbkdf2_hmac('%s', pw, bytes(range(200,216)), 1500), passlib layout (ab64)" % algo)
    # passlib / PHC scrypt, and Werkzeug scrypt.
    k = hashlib.scrypt(p, salt=salt, n=1 << 10, r=8, p=2, dklen=32)
    emit("-", "$scrypt$ln=10,r=8,p=2$%s$%s" % (b64s(salt), b64s(k)), "", pw,
         "hashlib.scrypt(pw, salt=bytes(range(200,216)), n=2**10, r=8, p=2, dklen=32), passlib layout")
    k = hashlib.scrypt(p, salt=b"pyMfKdIq", n=1 << 11, r=8, p=1, dklen=64)
    emit("-", "scrypt:2048:8:1$pyMfKdIq$%s" % k.hex(), "", pw,
         "hashlib.scrypt(pw, salt=b'pyMfKdIq', n=2048, r=8, p=1, dklen=64).hex(), Werkzeug layout")
    # Spring StandardPasswordEncoder ({sha256}): SHA-256 1024 times over
    # salt + (empty) secret + password.
    s8 = bytes.fromhex("0123456789abcdef")
    d = hashlib.sha256(s8 + p).digest()
    for _ in range(1023):
        d = hashlib.sha256(d).digest()
    emit("-", "{sha256}" + (s8 + d).hex(), "", pw,
         "hashlib.sha256 x1024 of salt 0123456789abcdef + pw, StandardPasswordEncoder layout")
    # Spring Pbkdf2PasswordEncoder: v5_5 ({pbkdf2}) and v5_8, whose
    # iteration counts are fixed and slow: two passwords only.
    if pw not in ("password", "pässwörd密码"):
        continue
    s16 = bytes(range(16))
    emit("-", "{pbkdf2}" + (s8 + hashlib.pbkdf2_hmac("sha1", p, s8, 185000, 32)).hex(), "", pw,
         "hashlib.pbkdf2_hmac('sha1', pw, salt8, 185000, 32), defaultsForSpringSecurity_v5_5 layout")
    emit("-", "{pbkdf2@SpringSecurity_v5_8}" + (s16 + hashlib.pbkdf2_hmac("sha256", p, s16, 310000, 32)).hex(), "", pw,
         "hashlib.pbkdf2_hmac('sha256', pw, bytes(range(16)), 310000, 32), defaultsForSpringSecurity_v5_8 layout")
PY

# Salted digests and Spring's MessageDigestPasswordEncoder by openssl dgst.
dg() { printf '%s' "$2" | openssl dgst "-$1" -r | cut -d' ' -f1; }
for pw in password '' '123456' 'pässwörd密码'; do
	for d in md5 sha1 sha256; do
		for salt in 'a1B2c3' 'x$y{z}'; do
			emit "$d-pass-salt" "$(dg $d "$pw$salt")" "$salt" "$pw" "printf %s PASSWORD\$SALT | openssl dgst -$d"
			emit "$d-salt-pass" "$(dg $d "$salt$pw")" "$salt" "$pw" "printf %s \$SALT\$PASSWORD | openssl dgst -$d"
			emit "$d-${d}pass-salt" "$(dg $d "$(dg $d "$pw")$salt")" "$salt" "$pw" \
				"printf %s \$(printf %s PASSWORD | openssl dgst -$d -r | cut -d' ' -f1)\$SALT | openssl dgst -$d"
		done
		emit "$d" "$(dg $d "$pw")" - "$pw" "printf %s PASSWORD | openssl dgst -$d"
		# Base64 of the digest, as Java code often stored it.
		emit "$d-pass-salt" "$(printf %s "${pw}a1B2c3" | openssl dgst "-$d" -binary | base64)" a1B2c3 "$pw" \
			"printf %s PASSWORD\$SALT | openssl dgst -$d -binary | base64"
		# Upper-case hex, as some PHP and Java code stored it.
		emit "$d" "$(dg $d "$pw" | tr a-f A-F)" - "$pw" "printf %s PASSWORD | openssl dgst -$d | tr a-f A-F"
	done
	emit - "{MD5}{mysalt}$(dg md5 "$pw{mysalt}")" - "$pw" "printf %s 'PASSWORD{mysalt}' | openssl dgst -md5"
	emit - "{MD5}$(dg md5 "$pw")" - "$pw" "printf %s PASSWORD | openssl dgst -md5"
	emit - "{SHA-1}{s}$(dg sha1 "$pw{s}")" - "$pw" "printf %s 'PASSWORD{s}' | openssl dgst -sha1"
	emit - "{SHA-256}{mysalt}$(dg sha256 "$pw{mysalt}" | tr a-f A-F)" - "$pw" "printf %s 'PASSWORD{mysalt}' | openssl dgst -sha256 | tr a-f A-F"
done

# Spring {pbkdf2@SpringSecurity_v5_8} once more through openssl kdf.
salt=000102030405060708090a0b0c0d0e0f
key=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:password -kdfopt hexsalt:$salt -kdfopt iter:310000 PBKDF2 | tr -d ':')
emit - "{pbkdf2@SpringSecurity_v5_8}$salt$key" - password "openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:password -kdfopt hexsalt:$salt -kdfopt iter:310000 PBKDF2"
echo "wrote $(wc -l < "$out") vectors to $out"
