"""The intent classifier's fitted pipeline, read out once into plain arrays for one message at a time.

scikit-learn's `Pipeline.predict_proba` is built for batches: for a single chat message
it spends most of its 3 ms checking that each step is fitted and rebuilding the IDF
weights from their sparse diagonal matrix at every call (profiled under load:
bench/changes.md). This scorer computes the same numbers (the tests compare them with the
pipeline's, message by message): each TF-IDF block is the n-gram counts, `1 + log` of
them (sublinear tf), times the IDF weights, L2-normalised; the blocks side by side feed
the logistic regression's linear scores and its softmax (multinomial) or sigmoid (one
against the rest).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

import numpy as np

_Block = Tuple[Callable[[Text], List[Text]], Dict[Text, int], np.ndarray, int]


class LinearScorer:
    """`predict_proba` for one text, from a fitted FeatureUnion(TfidfVectorizer…) + LogisticRegression."""

    def __init__(self, blocks: List[_Block], weights: np.ndarray, intercept: np.ndarray, multinomial: bool):
        self.blocks = blocks
        self.weights = weights  # one row per feature, one column per intent
        self.intercept = intercept
        self.multinomial = multinomial

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> Optional["LinearScorer"]:
        """The scorer for `pipeline`, or None if it is not the shape this module reads."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        try:
            features, classifier = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
        except (AttributeError, KeyError):
            return None
        if not isinstance(features, FeatureUnion) or not isinstance(classifier, LogisticRegression):
            return None
        vectorizers = [step for _, step in features.transformer_list]
        if features.transformer_weights or not all(_plain_tfidf(v, TfidfVectorizer) for v in vectorizers):
            return None
        blocks, offset = [], 0
        for vectorizer in vectorizers:
            blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_,
                           np.asarray(vectorizer.idf_, dtype=np.float64), offset))
            offset += len(vectorizer.vocabulary_)
        multinomial = classifier.multi_class == "multinomial" or (
            classifier.multi_class == "auto" and classifier.solver != "liblinear" and len(classifier.classes_) > 2)
        return cls(blocks, np.ascontiguousarray(classifier.coef_.T), classifier.intercept_.copy(), multinomial)

    def predict_proba(self, text: Text) -> np.ndarray:
        scores = self.intercept.copy()
        for analyzer, vocabulary, idf, offset in self.blocks:
            counts = Counter(vocabulary[gram] for gram in analyzer(text) if gram in vocabulary)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[columns]
            values /= np.sqrt(np.dot(values, values))
            scores += values @ self.weights[columns + offset]
        return _softmax(scores) if self.multinomial else _one_against_rest(scores)


def _plain_tfidf(vectorizer: Any, tfidf_type: type) -> bool:
    """A TfidfVectorizer this scorer reproduces: l2 norm, IDF used, sublinear tf, counts (not binary)."""
    return (isinstance(vectorizer, tfidf_type) and vectorizer.norm == "l2" and vectorizer.use_idf
            and vectorizer.sublinear_tf and not vectorizer.binary)


def _softmax(scores: np.ndarray) -> np.ndarray:
    exponentials = np.exp(scores - scores.max())
    return exponentials / exponentials.sum()


def _one_against_rest(scores: np.ndarray) -> np.ndarray:
    if scores.shape[0] == 1:  # two intents: one score, for the second
        positive = 1.0 / (1.0 + np.exp(-scores))
        return np.concatenate([1.0 - positive, positive])
    probabilities = 1.0 / (1.0 + np.exp(-scores))
    return probabilities / probabilities.sum()
