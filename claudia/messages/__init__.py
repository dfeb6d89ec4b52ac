"""Everything ClaudIA says from Python code, in French, with "vous".

Fixed prompts and greetings are Rasa responses in `domain.yml`; the texts
here depend on what the actions found (a structure, a refusal reason, a
term to explain), so they live next to the code that fills them in. One
module per part of the conversation; `messages.X` reaches all of them.
"""
from claudia.messages.channel import *  # noqa: F401,F403
from claudia.messages.evaluation import *  # noqa: F401,F403
from claudia.messages.help import *  # noqa: F401,F403
from claudia.messages.livechat import *  # noqa: F401,F403
from claudia.messages.procedure import *  # noqa: F401,F403
from claudia.messages.repair import *  # noqa: F401,F403
