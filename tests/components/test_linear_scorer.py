"""The one-message scorer gives the fitted pipeline's very probabilities."""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from components.intent_classifier import build_pipeline, shape
from components.linear_scorer import LinearScorer

CONFIG = {"C": 300.0, "word_ngrams": [1, 2], "char_ngrams": [2, 5], "max_iter": 3000, "random_seed": 42}
TRAINING = [
    ("je veux activer ma structure", "activer_structure"), ("réactiver la mairie", "activer_structure"),
    ("remettre en service le SIVU", "activer_structure"), ("désactiver la mairie", "inactiver_structure"),
    ("fermer le CCAS svp", "inactiver_structure"), ("supprimer notre syndicat dissous", "inactiver_structure"),
    ("bonjour", "saluer"), ("bonsoir madame", "saluer"), ("coucou", "saluer"),
    ("merci beaucoup", "remercier"), ("top merci", "remercier"), ("c'est gentil", "remercier"),
]
# Unseen words, typos, digits, nothing the vocabulary knows, a very long message.
ASKED = ["DESACTIVER la mairie svp", "reactivr le ccas", "mrc bcp", "12345678901234", "", "???",
         "zzz qqq", "bonjour je voudrais fermer la structure 123 456 789 00012 merci " * 15]


def _fitted(training=TRAINING):
    texts, intents = zip(*training)
    return build_pipeline(CONFIG).fit([shape(text) for text in texts], list(intents))


def test_several_intents_get_the_pipelines_probabilities():
    pipeline = _fitted()
    scorer = LinearScorer.from_pipeline(pipeline)
    assert scorer is not None and scorer.multinomial
    for text in ASKED:
        expected = pipeline.predict_proba([shape(text)])[0]
        assert np.allclose(scorer.predict_proba(shape(text)), expected, rtol=0, atol=1e-12), text


def test_two_intents_get_the_pipelines_probabilities():
    pipeline = _fitted([pair for pair in TRAINING if pair[1] in ("saluer", "remercier")])
    scorer = LinearScorer.from_pipeline(pipeline)
    assert scorer is not None and not scorer.multinomial
    for text in ASKED:
        assert np.allclose(scorer.predict_proba(shape(text)), pipeline.predict_proba([shape(text)])[0],
                           rtol=0, atol=1e-12), text


def test_a_pipeline_of_another_shape_is_left_to_scikit_learn():
    texts, intents = zip(*TRAINING)
    plain = Pipeline([("features", TfidfVectorizer()), ("classifier", LogisticRegression())]).fit(texts, intents)
    assert LinearScorer.from_pipeline(plain) is None
    binary = build_pipeline(CONFIG)
    binary.named_steps["features"].transformer_list[0][1].set_params(binary=True)
    assert LinearScorer.from_pipeline(binary.fit(texts, intents)) is None
