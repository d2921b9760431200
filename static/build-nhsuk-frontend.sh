#!/usr/bin/env bash
# Refreshes the NHS.UK frontend files in static/ (served at /assets) from the nhsuk-frontend npm package (MIT).
# The output is committed, so building or running Quorate never needs node.
# Usage: bash static/build-nhsuk-frontend.sh [VERSION]
set -euo pipefail
version="${1:-10.6.1}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@$version" >/dev/null && tar xzf "nhsuk-frontend-$version.tgz")
dist="$work/package/dist/nhsuk"
out="$here"
mkdir -p "$out/css" "$out/images"
# The package's @font-face rules load Frutiger from an outside host; we make
# no request to any other site, so drop them (the CSS falls back to Arial)
# and the source-map comment.
sed -e 's/@font-face{[^}]*}//g' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
  "$dist/nhsuk-frontend.min.css" > "$out/css/nhsuk-frontend.min.css"
if grep -Eq 'https?://' "$out/css/nhsuk-frontend.min.css"; then
  echo "an outside URL is left in the CSS" >&2
  exit 1
fi
cp "$dist"/assets/images/{favicon.ico,favicon.svg,nhsuk-icon-180.png,nhsuk-icon-192.png,nhsuk-icon-512.png,nhsuk-icon-mask.svg} "$out/images/"
cp "$dist"/assets/images/nhsuk-icon-{cross,arrow-up,arrow-down,arrow-up-down}.svg "$out/images/"
cp "$dist/assets/manifest.json" "$out/manifest.json"
cat > "$out/NHSUK-FRONTEND-LICENCE.md" <<TXT
# nhsuk-frontend $version

These files come from the npm package \`nhsuk-frontend\` $version, built by
\`static/build-nhsuk-frontend.sh\` (font-face rules removed).

The MIT Licence (MIT)

Copyright (c) NHS England

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

The NHS logo and the letters "NHS" are registered trade marks; Quorate shows
the logo only when an NHS body deploying it turns \`nhs_branding\` on.
TXT
echo "static/ refreshed from nhsuk-frontend $version"
