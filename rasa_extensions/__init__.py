"""Extensions of Rasa's runtime, loaded by Rasa through endpoints.yml or installed by the channel: the tracker store, the lock store and the measured speed fixes (bench/changes.md)."""
