"""Words users type for the few things the assistant must recognise exactly.

The NLU model classifies intents; these keyword readings pick out, from the
same text, which structure type, which operation, which term, or a plain yes or
no a user means. They are plain rules because the vocabulary is small, a wrong
guess here would be costly, and negations ("pas activer, inactiver") must be
read the same way every time.
"""
from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Tuple


def normalize(text: Optional[str]) -> str:
    """Lower case, without accents: 'Réactiver la Mairie' -> 'reactiver la mairie'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# -- negation ---------------------------------------------------------------------
# A word is negated when one of these comes at most a few words before it:
# "pas activer", "ne veux pas la désactiver", "au lieu de l'inactiver", "plutôt X que Y".
_NEGATION_BEFORE = re.compile(
    r"(?:\bpas\b|\bnon\b|\bni\b|\bjamais\b|\bplus\b|\bsans\b|\bau lieu d[e']|\bplutot que\b|\bplutot qu')"
    r"(?:\W+[^\W\d]+){0,2}\W*$"
)
# A negation does not reach past a comma, "mais", "plutôt", "je veux"...
_CLAUSE_BREAK = re.compile(
    r"[,;.!?:]|\bmais\b|\bplutot\b|\bje veux\b|\bje voudrais\b|\bil faut\b|\bc'est\b|\bje souhaite\b|\bet\b")


def _negated(normalized: str, start: int) -> bool:
    clause = _CLAUSE_BREAK.split(normalized[max(0, start - 40):start])[-1]
    if _NEGATION_BEFORE.search(clause):
        return True
    # "plutôt activer que désactiver": what follows "que" is what is not wanted
    return bool(re.search(r"\bplutot\b.*\bque\W*(?:\S+\W+){0,1}$", normalized[:start]))


def _unnegated(pattern: "re.Pattern[str]", normalized: str) -> List[re.Match]:
    return [m for m in pattern.finditer(normalized) if not _negated(normalized, m.start())]


# -- structure type ------------------------------------------------------------------
_EXPLICIT_TYPES = (
    ("privee", re.compile(r"\bprive|\bprivate\b|\bdu prive\b")),
    ("publique", re.compile(r"\bpubli|\bpubik|\bpublik|\bpubique")),
)
# The kind of body named, when "public" or "private" is not said.
_KINDS = (
    ("privee", re.compile(
        r"\bentreprise|\bsociete|\bassociation|\basso\b|\bsarl\b|\bsasu?\b|\beurl\b|\bsci\b|\bscop\b|"
        r"\bgie\b|\bsnc\b|\bselarl\b|\bauto[- ]?entrepreneur|\bmicro[- ]?entreprise|\bfondation\b|"
        r"\bcooperative\b|\bmutuelle\b|\bcommerce\b|\bcommercant|\bartisan|\bpme\b|\btpe\b|"
        r"\bcabinet\b|\bliberal\b|\bboite\b|\bstart-?up\b")),
    ("publique", re.compile(
        r"\bcollectivite|\bmairie|\bcommunes?\b|\bcommunaute (?:de communes|d'agglo|urbaine)|"
        r"\bdepartement|\bconseil (?:departemental|regional|general)|\bregion\b|\bmetropole|"
        r"\bepci\b|\bsyndicat\b|\bsivu\b|\bsivom\b|\bccas\b|\bcias\b|\betablissement public|"
        r"\bepa\b|\bepic\b|\bhopital|\bcentre hospitalier|\bchu\b|\bchr\b|\blycee|\bcollege\b|"
        r"\becole|\buniversite|\behpad\b|\boffice de tourisme|\bregie\b|\bprefecture|\bministere|"
        r"\bservices? de l'etat\b|\bsdis\b|\boffice public|\boph\b|\bcaisse des ecoles|"
        r"\betablissement scolaire|\badministration\b|\borganisme public|\bmediatheque|"
        r"\bbibliotheque municipale|\bmunicipal|\bintercommunal|\bterritorial")),
)
_UPPERCASE_SA = re.compile(r"\bSA\b")  # "une SA", never the possessive "sa structure"


def structure_type(text: Optional[str]) -> Optional[str]:
    """'publique', 'privee' or None, from what the user wrote.

    Said outright ("publique", "pas privée") first; otherwise from the kind of body
    named (a mairie, a SARL, an association...). Both at once: None, ask again.
    """
    normalized = normalize(text)
    for table in (_EXPLICIT_TYPES, _KINDS):
        found = {value for value, pattern in table if _unnegated(pattern, normalized)}
        if table is _KINDS and _UPPERCASE_SA.search(text or ""):
            found.add("privee")
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


def canonical_structure_type(value: Optional[str]) -> Optional[str]:
    """Maps an entity value ('public', 'Privée'...) to 'publique' / 'privee'."""
    return structure_type(value) if value else None


# -- operation --------------------------------------------------------------------------
# A state ("elle est inactive", "a été désactivée par erreur") is not a request.
_STATE_BEFORE = re.compile(
    r"(?:(?<!c')\best\b|\betait\b|\bsont\b|\bete\b|\bapparait\b|\bcomme\b|\breste\b|\btoujours\b|\bdeja\b|"
    r"\bencore\b|\bstatut\b|\bdevenue?\b)(?:\W+\S+){0,2}\W*$")
_OPERATIONS = (
    # "activ" but not "activité" ("cessation d'activité" comes with inactivations) nor "réactivité".
    ("inactiver", re.compile(r"\b(?:in|des|de)activ(?!it)\w*|\bdeactivat\w*|\bdisabl\w*|\b(?:ferm|clotur)(?:er|ez)\b")),
    ("activer", re.compile(r"\b(?:re)?activ(?!it)\w*|\breactivat\w*|\bactivat\w*|\benabl\w*")),
)


def requested_operation(text: Optional[str]) -> Optional[str]:
    """'activer', 'inactiver' or None: the operation asked for, negations read.

    "pas activer, inactiver" -> 'inactiver'; "elle est inactive, je veux l'activer"
    -> 'activer'; "activer ou désactiver" -> None (both: the question is asked).
    """
    normalized = re.sub(r"\b(des|de|in|re)-(?=activ)", r"\1", normalize(text))
    wanted = set()
    for operation, pattern in _OPERATIONS:
        for match in _unnegated(pattern, normalized):
            if not _STATE_BEFORE.search(normalized[max(0, match.start() - 30):match.start()]):
                wanted.add(operation)
    return wanted.pop() if len(wanted) == 1 else None


_STATUS_QUESTION = re.compile(
    r"\bsans (?:rien )?(?:rien )?(?:modifier|changer|toucher)|\b(?:ne )?(?:touchez|changez|modifiez) (?:a )?rien\b|"
    r"\b(?:je )?(?:ne )?(?:veux|souhaite|voudrais) rien (?:changer|modifier|toucher)\b|"
    r"\bjuste (?:savoir|verifier|connaitre|une verification)\b|\bsimple verification\b|\bseulement (?:savoir|connaitre)\b|"
    r"\b(?:est|sont)[- ](?:elle|il|ils|elles)\b.{0,40}\b(?:in)?actif?v?e?s?\b|"
    r"\best[- ]ce qu\w*\b.{0,60}\b(?:est|sont) (?:bien |toujours |encore |deja |actuellement )?(?:in)?acti|"
    r"\bou en est\b(?!.{0,40}\b(?:factur|paiement|mandat|dossier|virement))|\bstatut actuel|\b(?:quel est|connaitre) (?:le |l')?(?:statut|etat)\b|"
    r"\bis (?:my|our|the|it)\b.{0,30}\b(?:in)?active\b|\bc'?est fait ou pas\b|"
    r"\ba[- ]t[- ](?:il|elle)\b.{0,25}\bete\b.{0,15}\b(?:des|in)?activ")
# « statut de la structure ? »: the status named in a question, no change asked, no invoice.
_INVOICE = re.compile(r"\bfactur|\bpaiement|\bmandat|\bdevis\b|\bbon de commande")
_STATUS_NAMED = re.compile(r"\b(?:statut|status)\b|\betat (?:de|du|d')")
_CHANGE_ASKED = re.compile(
    r"chang|modif|\bpass(?:er|ez|e)\b|\bmet(?:tre|tez)\b|bascul|\b(?:in|des|de|re)?activ(?:er|ez|ation)|"
    r"\b(?:je|on|nous) (?:veux|voudrais|souhaite|voudrions|souhaitons)\b(?! (?:juste |seulement )?(?:savoir|connaitre|verifier))")


def asks_status(text: Optional[str]) -> bool:
    """« est-ce que ma structure est active ? », « juste savoir, sans rien modifier »: the
    status asked, not a change. (Read before the operation words, which such a question
    also holds.)"""
    normalized = normalize(text)
    if _STATUS_QUESTION.search(normalized):
        return True
    return bool("?" in normalized and _STATUS_NAMED.search(normalized) and not _CHANGE_ASKED.search(normalized)
                and not _INVOICE.search(normalized))


_PROCEDURE_WORDS = re.compile(
    r"activ|activat|enabl|disabl|\bstatut\b|\bstatus\b|\b(?:fermer|fermez|fermeture|rouvrir|clotur\w*)\b.*\bstructure|"
    r"\bstructure\b.*\b(?:fermer|rouvrir|supprimer|clotur\w*)\b")


def mentions_procedure(text: Optional[str]) -> bool:
    """Does the text speak of activating, inactivating or the status of a structure?"""
    return bool(_PROCEDURE_WORDS.search(normalize(text)))


# -- yes / no -----------------------------------------------------------------------------
_FILLERS = r"(?:(?:euh+|ben|bah|alors|eh|oh|ah|hmm+|bon)\W+)*"
_YES = re.compile(
    _FILLERS + r"(?:oui+|ouais?|ouep|ouip|oue|wi|ui|yes|yep|yup|yeah|ok+|okay|okey|oki|dac+|d'acc(?:ord)?|"
    r"daccord|tout a fait|exact(?:ement)?|absolument|bien sur|bien entendu|je confirme|confirme[rz]?|"
    r"je valide|valide[rz]?|c'est (?:bien )?ca|c'est bon|c bon|ca marche|carrement|evidemment|"
    r"certainement|vas-y|allez-y|go|affirmatif|sure|of course|correct|parfait(?:ement)?|voila)\b")
_NO = re.compile(
    _FILLERS + r"(?:non+|nan+|nn|no|nope|nop|pas du tout|negatif|surtout pas|jamais|certainement pas|"
    r"absolument pas|je ne confirme pas|(?:ce n'est|c'est|c) pas (?:ca|la bonne|elle)|pas ca|"
    r"hors de question|je refuse)\b")
_NEGATING = re.compile(r"\bpas\b|\bnon\b|\bne\b|\bn'|\bjamais\b")


def yes_no(text: Optional[str]) -> Optional[bool]:
    """True for a plain yes in any form, False for a plain no, None otherwise."""
    normalized = " ".join(normalize(text).split())
    if _NO.match(normalized):
        return False
    if _YES.match(normalized) and not _NEGATING.search(normalized):
        return True
    return None


# -- the evaluation and courtesies, when the model is unsure -----------------------------------
_GOOD = re.compile(
    r"^(?:(?:tres|trop|vraiment|c'est|c|ca va) )?bien\b|"
    r"\b(?:super|top|genial|parfait|nickel|impeccable|excellent|bravo|cool|merci|mci|mrc|thx|thanks|"
    r"utile|aide|efficace|clair|satisfaite?|contente?|ravie?|good|great|perfect|helpful)\b|👍|:\)|pouce (?:en )?(?:haut|leve)")
_BAD = re.compile(
    r"\b(?:bof+|nul+e?|naze|moyen|mouais|mauvaise?|inutile|decue?|decevant|insatisfaite?|mecontente?|"
    r"bad|useless|horrible|catastrophique)\b|👎|:\(|pas (?:terrible|top|genial|fou)|pouce (?:en )?bas|pouce baisse")


_NOT_A_VOTE = re.compile(r"confirm|valid|\bje (?:suis|veux|voudrais|dois)\b|\?|au ?revoir|bonne (?:journee|soiree)|"
                         r"a bientot|bye|plus tard|je reviens|je reviendrai")


def evaluation_in_words(text: Optional[str]) -> Optional[bool]:
    """« Cette réponse vous a-t-elle aidé ? » answered in words: True (👍), False (👎) or None.

    A confirmation said twice (« oui je confirme »), a protest (« je suis pourtant
    connectée ») or a question is no evaluation, whatever yes or praise it holds."""
    normalized = " ".join(normalize(text).split())
    if _NOT_A_VOTE.search(normalized) or re.search(r"\d{3}", normalized):
        return None
    said = yes_no(normalized)
    if said is not None and (len(normalized.split()) <= 4 or _GOOD.search(normalized) or _BAD.search(normalized)):
        return said  # a long « d'accord, je me connecte et je reviens » evaluates nothing
    if _BAD.search(normalized):
        return False
    if _GOOD.search(normalized):
        return not _NEGATING.search(normalized)
    return None


_COURTESIES = (
    ("au_revoir", re.compile(r"^(?:au ?revoir|a\+|@\+|a plus|bye(?: bye)?|ciao|tchao|bonne (?:journee|soiree)|"
                             r"a bientot|a demain)(?!\w)")),
    ("remercier", re.compile(r"^(?:merci+|mci|mrc|merki|thx|thanks?|thank you|cimer)\b")),
    ("saluer", re.compile(r"^(?:bonjour|bjr|bonsoir|bsr|salut|slt|coucou|cc|hello|hi|hey|yo)\b")),
)


def courtesy(text: Optional[str]) -> Optional[str]:
    """A short greeting, thanks or goodbye the model was unsure of: 'saluer', 'remercier', 'au_revoir'."""
    normalized = " ".join(normalize(text).split())
    if len(normalized.split()) > 4:
        return None
    return next((name for name, pattern in _COURTESIES if pattern.search(normalized)), None)


# -- terms of the guide ---------------------------------------------------------------------
# Most specific first: "SIRET reprenant l'activité" is about the successor, not the SIRET.
_TERMS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    ("successeur", re.compile(r"repren|reprise|successeur|reprend")),
    ("sirene", re.compile(r"\bsirene\b|\binsee\b")),
    ("siren", re.compile(r"\bsiren\b")),
    ("siret", re.compile(r"\bsiret\b")),
    ("gestionnaire", re.compile(r"gestionnaire|habilit|\bdroits?\b|\broles?\b|rattach")),
    ("structure_publique", re.compile(r"\bpubli|\bprive")),
    ("inactiver", re.compile(r"inactiv|desactiv")),
    ("activer", re.compile(r"activ")),
)


def term(text: Optional[str]) -> Optional[str]:
    """Which term of the guide the user asks about, if any."""
    normalized = normalize(text)
    for name, pattern in _TERMS:
        if pattern.search(normalized):
            return name
    return None
