"""Auditing a real model's weights file: which initializer made each tensor, what is off, what the signal does.

Pure NumPy and safetensors (no UI). `audit_file(path, layout_name, activation)` -> AuditReport;
`WeightsFileError` is a bad file, one line. Modules: reading (files, tensor by tensor), layout (roles and
fans), measure (one-pass statistics), matching (the catalogue), conventions, findings, signal (the file's
MLP through the engine), core (the report). The document, CSV and table are initscope/audit_report.py.
"""

from initscope.engine.audit.core import AuditReport, TensorAudit, audit_file
from initscope.engine.audit.reading import WeightsFileError

__all__ = ["AuditReport", "TensorAudit", "WeightsFileError", "audit_file"]
