"""Privacy-preserving record linkage: keyed Bloom-filter linkage keys made on the contributor's side, and
the hub's search for records of one person across and within contributors (never on identifiers)."""
