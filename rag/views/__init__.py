"""The analyst's views over a whole collection: every mention of a name or phrase
(:mod:`~rag.views.find`), an answer grouped by source (:mod:`~rag.views.by_source`), and the dates
a sentence states, resolved against its document's date (:mod:`~rag.views.dates`); their records
are in :mod:`~rag.views.records`."""
