"""Books: pools of query–doc pairs judged apart from tuning, by several people and LLM judges."""
