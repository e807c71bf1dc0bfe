from __future__ import annotations

import io
import os
import shutil
import zipfile

import pytest
from django.core.management import CommandError, call_command

from cnes_import import tasks
from cnes_import.models import ConfiguracaoCnes, ImportacaoCnes
from pec.models import Profissional
from pec.tenancy import tenant_context
from tests.cnes_import.conftest import XML_2021, XML_2022, foto_do_banco

pytestmark = pytest.mark.django_db


def rodar(*args: str) -> tuple[str, str]:
    saida, erros = io.StringIO(), io.StringIO()
    call_command("import_cnes", *args, stdout=saida, stderr=erros)
    return saida.getvalue(), erros.getvalue()


def test_dry_run_changes_nothing(taboleiro):
    foto = foto_do_banco(taboleiro)
    saida, erros = rodar(str(XML_2021), "--municipio", "2413805", "--dry-run")
    assert saida.startswith("Dry run: nothing was written.")
    assert "lotações                   57" in saida
    assert "100% reading file" in erros  # the progress bar goes to stderr
    assert foto_do_banco(taboleiro) == foto
    with tenant_context(taboleiro.id):
        registro = ImportacaoCnes.objects.get()
    assert registro.simulacao and registro.origem == ImportacaoCnes.Origem.COMANDO and registro.usuario is None


def test_import_then_reimport_reports_counts(taboleiro):
    saida, _ = rodar(str(XML_2021), "--municipio", "2413805")
    assert saida.startswith("Imported.")
    assert "professionals              55            0            0            0" in saida
    saida, _ = rodar(str(XML_2022), "--municipio", "2413805", "--reset-perfis")
    assert "professionals              24            1           13            0" in saida
    with tenant_context(taboleiro.id):
        assert Profissional.objects.filter(ativo=True).count() == 66
        assert ImportacaoCnes.objects.filter(resetar_perfis=True).count() == 1


def test_refused_file_fails_and_writes_nothing(outro_municipio):
    foto = foto_do_banco(outro_municipio)
    with pytest.raises(CommandError, match=r"File refused, nothing was written.*2413805"):
        rodar(str(XML_2021), "--municipio", outro_municipio.ibge)
    assert foto_do_banco(outro_municipio) == foto


@pytest.mark.parametrize(
    ("args", "mensagem"),
    [
        ((str(XML_2021), "--municipio", "9999999"), "No municipality with IBGE code 9999999"),
        (("/nao/existe.xml", "--municipio", "2413805"), "File not found"),
    ],
)
def test_bad_arguments(taboleiro, args, mensagem):
    with pytest.raises(CommandError, match=mensagem):
        rodar(*args)


def test_weekly_job_imports_the_newest_file_once(taboleiro, tmp_path):
    assert tasks.cnes_importar_municipio.apply(kwargs={"municipio_id": taboleiro.id}).get() == {
        "municipio_id": taboleiro.id,
        "importado": False,
    }
    antigo = shutil.copy(XML_2021, tmp_path / "XmlParaESUS21_241380.xml")
    novo = tmp_path / "cnes-2022.zip"
    with zipfile.ZipFile(novo, "w") as z:
        z.write(XML_2022, XML_2022.name)
    os.utime(antigo, (1_600_000_000, 1_600_000_000))
    (tmp_path / "leiame.txt").write_text("outros arquivos são ignorados")
    saida = io.StringIO()
    call_command("cnes_pasta", str(tmp_path), "--municipio", "2413805", stdout=saida)
    assert "newest file now: cnes-2022.zip" in saida.getvalue()

    resultado = tasks.cnes_importar_municipio.apply(kwargs={"municipio_id": taboleiro.id}).get()
    assert resultado["importado"] is True
    with tenant_context(taboleiro.id):
        registro = ImportacaoCnes.objects.get()
        assert (registro.arquivo_nome, registro.origem) == ("cnes-2022.zip", ImportacaoCnes.Origem.AGENDADA)
        assert Profissional.objects.count() == 66

    # Same newest file next week: skipped, no new history entry.
    assert tasks.cnes_importar_municipio.apply(kwargs={"municipio_id": taboleiro.id}).get()["importado"] is False
    with tenant_context(taboleiro.id):
        assert ImportacaoCnes.objects.count() == 1

    call_command("cnes_pasta", "--municipio", "2413805", "--remove", stdout=io.StringIO())
    with tenant_context(taboleiro.id):
        assert not ConfiguracaoCnes.objects.exists()


def test_weekly_job_fans_out_to_every_municipality(taboleiro, outro_municipio, monkeypatch):
    enfileiradas = []
    monkeypatch.setattr(tasks.cnes_importar_municipio, "delay", lambda **kw: enfileiradas.append(kw))
    assert tasks.cnes_importar_semanal.apply().get() == 2
    assert sorted(kw["municipio_id"] for kw in enfileiradas) == sorted([taboleiro.id, outro_municipio.id])


def test_folder_must_be_an_absolute_directory(taboleiro, tmp_path):
    with pytest.raises(CommandError, match="absolute"):
        call_command("cnes_pasta", "relativa", "--municipio", "2413805")
    with pytest.raises(CommandError, match="Not a directory"):
        call_command("cnes_pasta", str(tmp_path / "nao-existe"), "--municipio", "2413805")
