"""owns: `scow image analyze`'s analysis: what each layer of an image adds, changes, removes
and wastes, dive's efficiency score, and the copy-up findings with one line of advice each.

Everything is computed from the layers' tar-split metadata (names, sizes, CRC-64s, and the raw
tar headers it keeps); no layer is extracted or mounted.

- `entries`: a layer's tar-split → `Entry` records.
- `efficiency`: dive's file trees, wasted bytes and efficiency, figure for figure.
- `layers`: per-layer added/changed/removed counts and the bytes made unreachable below.
- `findings`: copy-up costs and advice (chmod/chown rewrites, caches, logs, databases...).
- `report`: the `Analysis` record, its plain-text and JSON forms.
- `ci`: dive's CI rules (`lowestEfficiency`, `highestWastedBytes`,
  `highestUserWastedPercent`) from flags or a `.dive-ci` file.
"""
