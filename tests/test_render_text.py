"""The batch renders once and reads the wording checks' text from that render.

:func:`lettergen.letters.render_with_text` must give the very bytes of
:func:`render_context` and the ``word/document.xml`` inside them, so the
checks see exactly the letter that is written (a renderer change that broke
this would show here).
"""
from __future__ import annotations

import io
import zipfile

import pytest

from lettergen.letters import prepare, render_context, render_with_text, template_for
from lettergen.quality import check_letter_quality

from .conftest import KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_render_with_text_is_the_letter_and_its_document_xml(kind, project_config, sample_data):
    prepared = prepare(kind, sample_data(kind), project_config)
    template = template_for(project_config, kind)
    docx, xml = render_with_text(template, prepared.context, "禾丰函〔2026〕7号")
    assert docx == render_context(template, prepared.context, "禾丰函〔2026〕7号")
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        assert xml == package.read("word/document.xml").decode("utf-8")
    from_xml = check_letter_quality(kind, prepared.context, None, project_config, xml=xml)
    from_docx = check_letter_quality(kind, prepared.context, docx, project_config)
    assert [(f.code, f.message) for f in from_xml] == [(f.code, f.message) for f in from_docx]
