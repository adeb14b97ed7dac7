"""Official documents (Decree 30/2020/NĐ-CP): incoming and outgoing documents and their electronic exchange.

The pure edXML (QCVN 102:2016/BTTTT) library lives in :mod:`cityops.documents.edxml`; the app's models,
services, selectors, views and API are described in ``docs/modules/documents.md``.
"""
