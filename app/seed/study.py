"""Demo study materials: an article on studying the Party Constitution, a video by URL and a
PDF document, published, for the members of the demo branch (the lead's demo task names
them). The document's file is stored when the demo has a storage to put it in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.storage import Storage
from app.models import MaterialKind, MaterialStatus, Organization, StudyMaterial
from app.study import service as study_service
from app.study.schemas import MaterialCreate

EVERYWHERE = Scope(everywhere=True)

ARTICLE_TITLE = "认真学习党章 自觉遵守党章"
ARTICLE_BODY = """<h2>为什么要学习党章</h2>
<p>党章是党的根本大法，是全党必须共同遵守的根本行为规范。学习党章、遵守党章、贯彻党章、
维护党章，是每一名共产党员的基本义务，也是加强党性修养的经常性功课。</p>
<h2>学习重点</h2>
<ol>
<li><strong>党的性质和宗旨。</strong>中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队，
党的根本宗旨是全心全意为人民服务。</li>
<li><strong>党员的义务和权利。</strong>对照党章规定的八项义务，查找自身在学习、工作和生活中的差距；
正确行使党员权利，积极参加党的组织生活。</li>
<li><strong>党的组织制度。</strong>理解民主集中制的基本原则，按时参加“三会一课”和主题党日，
按月足额交纳党费。</li>
<li><strong>党的纪律。</strong>把纪律和规矩挺在前面，严守政治纪律和政治规矩。</li>
</ol>
<h2>社会组织党员怎样学</h2>
<p>结合本单位服务对象和业务特点，把党章要求落实到依法执业、诚信服务、热心公益之中；
每学完一章，在支部学习交流中谈一谈体会。</p>"""
VIDEO_URL = "https://media.example.cn/study/dangzhang-jiedu.mp4"
DOCUMENT_NAME = "中国共产党章程学习提纲.pdf"


def outline_pdf() -> bytes:
    """A one-page PDF with a short outline (Latin text: a PDF's standard fonts have no CJK)."""
    text = "BT /F1 18 Tf 72 720 Td (Study outline: the Constitution of the CPC) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


async def _published(
    session: AsyncSession, body: MaterialCreate, at: datetime, now: datetime
) -> StudyMaterial:
    material = await study_service.create(session, EVERYWHERE, body, account_id=None, now=now)
    material.status = MaterialStatus.PUBLISHED
    material.published_at = at
    await session.flush()
    return material


async def seed_study(
    session: AsyncSession,
    party: Mapping[str | int, Organization],
    branch: Organization,
    now: datetime,
    storage: Storage | None,
) -> list[StudyMaterial]:
    """The article and the video of the 综合党委 (open to every member of the district) and
    the document of the demo ``branch``; the document only with a ``storage``."""
    root = party["root"]
    seeded = [
        await _published(
            session,
            MaterialCreate(
                kind=MaterialKind.ARTICLE,
                org_id=root.id,
                title=ARTICLE_TITLE,
                category="党章党规",
                summary="党章是党的根本大法：学习重点和社会组织党员的学习方法。",
                body=ARTICLE_BODY,
                length_seconds=600,
            ),
            now - timedelta(days=2),
            now,
        ),
        await _published(
            session,
            MaterialCreate(
                kind=MaterialKind.VIDEO,
                org_id=root.id,
                title="党章专题辅导报告（视频）",
                category="理论学习",
                summary="综合党委党章专题辅导报告录像，约 20 分钟。",
                video_url=VIDEO_URL,
                length_seconds=1200,
            ),
            now - timedelta(days=1),
            now,
        ),
    ]
    if storage is not None:
        document = await study_service.create(
            session,
            EVERYWHERE,
            MaterialCreate(
                kind=MaterialKind.DOCUMENT,
                org_id=branch.id,
                title="党章学习提纲",
                category="党章党规",
                summary="支部集中学习用提纲，供会前自学。",
                length_seconds=900,
            ),
            account_id=None,
            now=now,
        )
        data = outline_pdf()
        key = study_service.new_storage_key(document.id)
        await storage.put(key, data, study_service.PDF)
        document.storage_key = key
        document.filename = DOCUMENT_NAME
        document.content_type = study_service.PDF
        document.size_bytes = len(data)
        document.status = MaterialStatus.PUBLISHED
        document.published_at = now
        await session.flush()
        seeded.append(document)
    return seeded
