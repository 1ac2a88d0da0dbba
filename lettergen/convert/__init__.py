"""PDF output: the project's only user of LibreOffice.

``import lettergen.convert`` works without LibreOffice installed; only
starting a conversion needs it.  See :class:`Converter` for batches,
:func:`merge_pdfs` for one print file and :func:`doctor` for the
environment check.
"""
from .converter import ConversionResult, Converter, find_soffice, find_uno_python
from .doctor import DoctorReport, FontCheck, doctor
from .merge import merge_pdfs

__all__ = [
    "ConversionResult", "Converter", "DoctorReport", "FontCheck",
    "doctor", "find_soffice", "find_uno_python", "merge_pdfs",
]
