"""The search query language on its own: parsing, matching, exact text, languages."""

from __future__ import annotations

import pytest

from videolabels.service.search import MAX_QUERY_LENGTH, Atom, QueryError, normalize, parse_query

VIDEOS = {
    "bikes": ["bicycle", "car", "person", "rickshaw", "handbag"],
    "carphone": ["human face", "person", "necktie", "bow tie", "chair"],
    "plants": ["flowerpot", "potted plant"],
    "french": ["vélo", "voiture", "sac à main"],
    "japanese": ["自転車", "車"],
}


def found(query: str) -> set[str]:
    q = parse_query(query)
    return {video for video, names in VIDEOS.items() if q.match([(n, n) for n in names]) is not None}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bicycle", {"bikes"}),
        ("BICYCLE", {"bikes"}),
        ("bicycle necktie", {"bikes", "carphone"}),
        ("bicycle OR necktie", {"bikes", "carphone"}),
        ("bicycle | necktie", {"bikes", "carphone"}),
        ("person +necktie", {"carphone"}),
        ("person + necktie", {"carphone"}),
        ("+person +necktie", {"carphone"}),
        ("person AND necktie", {"carphone"}),
        ("person -bicycle", {"carphone"}),
        ("person NOT bicycle", {"carphone"}),
        ("bicycle necktie -person", set()),
        ("flowerpot bicycle -car", {"plants"}),
        ("-person", {"plants", "french", "japanese"}),
        ('"bow tie"', {"carphone"}),
        ('"tie bow"', set()),
        ("tie", {"carphone"}),  # a whole word of "bow tie"
        ("bicy", set()),  # not a whole word...
        ("bicy*", {"bikes"}),  # ...unless asked for as a prefix
        ("cycle", set()),
        ("velo", {"french"}),  # accents do not matter in Latin script
        ('"sac a main"', {"french"}),
        ("車", {"japanese"}),  # unspaced scripts match inside words
        ("bicycle + necktie OR flowerpot", {"plants"}),
        ("person + necktie OR flowerpot", {"carphone", "plants"}),
        ("t-shirt", set()),
    ],
)
def test_operators(query: str, expected: set[str]) -> None:
    assert found(query) == expected


def test_and_binds_tighter_than_or() -> None:
    q = parse_query("a + b OR c d")
    assert [[atom.raw for atom in clause] for clause in q.clauses] == [["a", "b"], ["c"], ["d"]]
    assert q.excluded == []


def test_exclusions_are_global() -> None:
    q = parse_query("car bicycle -person")
    assert [[a.raw for a in c] for c in q.clauses] == [["car"], ["bicycle"]]
    assert [a.raw for a in q.excluded] == ["person"]


def test_hits_give_the_exact_text_as_written_in_the_name() -> None:
    q = parse_query('"SPORTS car" velo')
    hits = q.match([(1, "Red Sports  Car!"), (2, "Vélo de course"), (3, "dog")])
    assert hits is not None
    assert {(h.key, h.text, h.exact_text) for h in hits} == {
        (1, "Red Sports  Car!", "Sports  Car"),
        (2, "Vélo de course", "Vélo"),
    }


def test_hits_only_from_satisfied_alternatives() -> None:
    q = parse_query("person + necktie OR flowerpot")
    hits = q.match([("p", "person"), ("f", "flowerpot")])
    assert hits is not None and [h.key for h in hits] == ["f"]


def test_only_exclusions_match_without_hits() -> None:
    assert parse_query("-dog").match([(1, "cat")]) == []
    assert parse_query("-dog").match([(1, "dog")]) is None


def test_empty_and_stray_operators() -> None:
    for query in ("", "   ", "OR", "+ - |", '""', "AND OR NOT"):
        q = parse_query(query)
        assert q.empty, query
        assert q.match([(1, "cat")]) == []


def test_unclosed_quote_runs_to_the_end() -> None:
    q = parse_query('"bow tie')
    assert [a.words for a in q.atoms()] == [("bow", "tie")]


def test_overlong_query_is_refused() -> None:
    with pytest.raises(QueryError):
        parse_query("a" * (MAX_QUERY_LENGTH + 1))


def test_normalize_and_prefilter() -> None:
    assert normalize("Vélo") == "velo"
    assert normalize("ÉCOLE") == "ecole"
    assert normalize("がっこう") == "がっこう"  # kana keep their voicing marks
    assert normalize("Ключ") == "ключ"
    atom = Atom.make("sports car")
    assert atom is not None and atom.prefilter() == "sports"
    # The prefilter is a substring of the normalized name whenever the atom matches.
    for name in ["Sports Car", "red sports car", "Spörts car"]:
        if atom.find(name):
            assert atom.prefilter() in normalize(name)


def test_right_to_left_and_cyrillic_words() -> None:
    assert parse_query("משקפיים").match([(1, "משקפיים")]) is not None
    assert parse_query("велосипед").match([(1, "Велосипед")]) is not None
