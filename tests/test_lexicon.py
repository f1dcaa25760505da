"""The lexicon is scikit-learn's TF-IDF written out in numpy (so the model file stays JSON): it must
give the same vectors, or the direct models read a situation differently from how they were trained."""
import numpy as np
import pytest

from coach.models.lexicon import Lexicon, terms

TEXTS = [
    "Every process is documented, our ticket metrics are green, yet two of my best people feel like cogs.",
    "Everyone loves our product vision but nobody owns the deadlines.",
    "Nobody owns the rota and the weekend shifts are empty; people feel like cogs.",
    "Our team’s vision is clear, but the deadlines slip and nobody owns them.",
    "i pay 4 cleaners and every week the same offices are skipped, i dont know who does what",
]


def test_the_lexicon_reproduces_scikit_learns_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    lex = Lexicon.fit(TEXTS, weight=3.0)
    ref = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(TEXTS)
    assert sorted(lex.index) == sorted(ref.vocabulary_)
    order = [lex.index[t] for t in ref.get_feature_names_out()]
    new = "Nobody owns the deadlines, nobody owns the rota, and my best people feel like cogs."
    for text in TEXTS + [new]:
        want = ref.transform([text]).toarray()[0] * 3.0
        assert np.allclose(lex.vector(text)[order], want, atol=1e-5), text


def test_a_text_with_no_known_term_is_the_zero_vector_and_the_json_round_trips():
    lex = Lexicon.fit(TEXTS)
    assert not lex.vector("Zebras graze quietly.").any()
    back = Lexicon.from_json(lex.to_json())
    assert back.index == lex.index and back.weight == lex.weight
    assert np.allclose(back.vector(TEXTS[0]), lex.vector(TEXTS[0]), atol=1e-4)
    assert terms("Nobody owns it") == ["nobody", "owns", "it", "nobody owns", "owns it"]


@pytest.mark.parametrize("part", ["reading/need_model.json", "retrieval/need_passages.json"])
def test_the_packaged_direct_models_read_the_words_of_the_situation(part):
    """Both direct models were trained with a lexicon; a model file without one (or whose weights no
    longer match its size) would silently read the text's vector alone."""
    import json
    from pathlib import Path

    import coach

    data = json.loads((Path(coach.__file__).parent / part).read_text(encoding="utf-8"))["direct"]
    n_terms = len(data["lexicon"]["terms"])
    assert n_terms > 1000 and data["lexicon"]["weight"] > 0
    assert all(len(row) == 2 * 384 + n_terms for row in data["coef"])
