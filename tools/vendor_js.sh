#!/bin/sh
# Refresh the JavaScript the dashboard ships (no CDN: nothing is fetched at run time).
# Vega, Vega-Lite and vega-embed, UMD builds from the npm registry, pinned; vega-embed bundles
# vega-interpreter, so with `ast: true` the charts run under a Content-Security-Policy without
# 'unsafe-eval'. Run from the repository root, then commit src/ctdhub/publish/web/static/vendor/.
set -eu
VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0
out=src/ctdhub/publish/web/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED"; do
  (cd "$tmp" && npm pack --silent "$p" >/dev/null)
done
mkdir -p "$out"
for name in vega vega-lite vega-embed; do
  mkdir -p "$tmp/$name"
  tar xzf "$tmp/$name"-[0-9]*.tgz -C "$tmp/$name"
  cp "$tmp/$name/package/build/$name.min.js" "$out/$name.min.js"
  # drop the source-map reference: the map is not shipped
  sed -i 's|//# sourceMappingURL=.*$||' "$out/$name.min.js"
  cp "$tmp/$name/package/LICENSE" "$out/$name.LICENSE.txt"
done
printf 'vega %s\nvega-lite %s\nvega-embed %s\n' "$VEGA" "$VEGA_LITE" "$VEGA_EMBED" > "$out/VERSIONS.txt"
