#!/bin/sh
# Writes htpasswd.tsv: 300 real bcrypt hashes made by Apache's htpasswd
# (apache2-utils; cost 4, the cheapest, so that tests verifying a few stay
# fast), one per line: the password, a tab, the hash. htpasswd draws a
# random salt, so every run writes other, equally valid lines.
set -eu
out=htpasswd.tsv
: > "$out"
i=1
while [ "$i" -le 300 ]; do
	pw="member-password-$i"
	h=$(htpasswd -nbB -C 4 u "$pw" | head -n1 | cut -d: -f2-)
	printf '%s\t%s\n' "$pw" "$h" >> "$out"
	i=$((i + 1))
done
