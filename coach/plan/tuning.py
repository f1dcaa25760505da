"""The plan's tunables, each with what it was chosen on and what that measured (history is in git).

Chosen on the dev writers of ``evals/coaching.yaml`` (w9a, w9b: 60 situations) and the dev split of
``evals/situations.yaml`` (``python -m training.plan_check``): the practice matched to a need should hold
a passage the labels call needed, and the verdict on a plan should agree with its writer's.
"""
MAX_NEEDS = 5        # needs read for matching (the reading's to_engage limit); more only adds weak matches
MAX_STEPS = 4        # steps in a plan: dev 60 (w9a/w9b), the writers' must-address points met 0.54 with 3, 0.61 with 4,
#                      0.64 with 5; answers 325, 377, 402 words; the most repeated article sentence 0.40, 0.43, 0.47
SURE_SIDE = 0.29     # |p(leadership) - 0.5| at which a need's own side, not the situation's leaning, counts
#                      (the reading's own cut: coach/reading/situation.py; 47% of training needs are past it)
SIDE_WEIGHT = 0.08   # bonus for a practice on the need's side, half for "both": dev 60, chosen among 0/0.04/0.08/0.15
# the source ranker's order as evidence (build.source_bonus): dev situations, a needed passage among the
# practices a need scores best: similarity alone top-1 0.26 / top-3 0.52; with the ranker's order linear at
# weight 0.3 top-1 0.51 / top-3 0.69 (0.1: 0.39 / 0.69, 0.5: 0.48 / 0.68; 1 / (1 + rank) at 0.2: 0.38 / 0.66)
SOURCE_WEIGHT = 0.3
NOT_A_SOURCE = -0.2  # the bonus of a practice whose passage the ranker did not choose
EXAMPLES_K = 3       # a need is as close to a practice as to the mean of its 3 nearest labelled needs
MATCH_MIN = 0.20     # below this a need gets no practice (cosine + bonuses): dev 60, no need left unanswered above it
SLOT_QUOTE_WORDS = 8  # {problem} inside a step: a short slice of the manager's words
PLAN_SIDE_CUT = 0.4   # a plan's part is management work below p(leadership) 0.4, leadership above 0.6: dev 24 plans,
#                       verdicts agreeing 12/24 (0.35: 12/24; with the writers' own leanings 16/24); held out 11/24
# A practice derived from an added article has no learned examples, only its own phrases (its advice and its
# article's account of the problem). Examples lift a curated practice's best match by 0.052 on average (median
# 0.032) over its own phrases alone: dev, 424 needs of evals/coaching.yaml w9a/w9b and situations.yaml dev.
DERIVED_LIFT = 0.05
# An added article's advice becomes a need's step when its similarity to the need (with DERIVED_LIFT) reaches
# this: the similarity at which the dev needs' best curated match is the needed passage half the time or more
# (0.38: the mean best own-phrase match of 424 dev needs; below it a need's best match is as often wrong as right)
ADDED_STEP_MIN = 0.38
