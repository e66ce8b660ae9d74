"""Accuracy benchmark of videolabels: labelled clips in, precision and recall out.

See README.md beside this file. The modules:

- ``truth``: reading and writing the ground-truth TSV files under ``truth/``.
- ``matching``: IoU, the per-clip judgement of emitted labels and the metrics; knows
  nothing of videolabels (a ``Taxonomy`` says how two label names are related).
- ``taxonomy``: the ``Taxonomy`` built from the videolabels vocabulary (WordNet synsets,
  hypernyms and category paths).
- ``build_videos``: the synthetic clips (photo cut-outs pasted on real backgrounds).
- ``run``: indexes every clip and writes ``results.json`` and ``RESULTS.md``.
"""
