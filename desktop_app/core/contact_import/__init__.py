"""Reading contact exports (CSV and vCard) into records Duet can store.

The package is plain Python: bytes become text (:mod:`.reading`), text becomes records
(:mod:`.csv_records`, :mod:`.vcard`), CSV columns are recognised (:mod:`.mapping`),
records are checked and grouped into contacts (:mod:`.merging`).
"""
