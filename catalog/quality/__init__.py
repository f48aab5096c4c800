"""The quality score of an entry (MQA-like, ``score``) and its computation over the store (``store``)."""
