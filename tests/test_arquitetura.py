"""The floor plan, checked: which module may import which.

Read from the source with `ast`, imports at module level and inside functions alike (a
deferred import is still a dependency; it only hides a circle from Python):
- the clinical core (prontuario, cds) imports no integration (rnds, sisab): integrations
  register with pec.outbox and pec.integracoes at start-up instead;
- services and selectors import nothing of django.http: they take an actor, not a request;
- no new import circle among the modules of pec or rnds. CICLOS_CONHECIDOS lists the ones
  still accepted, each kept importable by deferred imports for the reason given; it may
  only shrink, and the test fails when a listed circle is gone, so the list stays true.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parent.parent
APPS = ("config", "pec", "prontuario", "cds", "rnds", "sisab", "cnes_import")
NUCLEO = ("prontuario", "cds")
INTEGRACOES = ("rnds", "sisab")

IDENTIDADE = frozenset(
    {
        "pec.identity.acesso",
        "pec.identity.contas",
        "pec.identity.govbr.acesso",
        "pec.identity.govbr.oidc",
        "pec.identity.login",
        "pec.identity.tentativas",
    }
)
CICLOS_CONHECIDOS: dict[frozenset[str], str] = {
    IDENTIDADE: (
        "logging in (login) runs the lotação rules (acesso), the lockout (tentativas), the account mails "
        "(contas) and the gov.br checks, which in turn log a user in or out through login"
    ),
    frozenset({"pec.demo", "pec.demo_historico"}): (
        "the demo's history is built from the demo's own fixtures and only on demand "
        "(pec.demo imports it inside the two functions that need it)"
    ),
}


@dataclass(frozen=True)
class Import:
    origem: str  # the importing module
    alvo: str  # the module imported: a module of ours when the name is one, else the `from` part
    completo: str  # `from a import b` as "a.b"; `import a.b` as "a.b"
    linha: int
    em_funcao: bool
    so_tipagem: bool  # under `if TYPE_CHECKING:`, never executed

    def de(self, pacote: str) -> bool:
        return any(nome == pacote or nome.startswith(pacote + ".") for nome in (self.alvo, self.completo))


def _modulos() -> dict[str, Path]:
    modulos = {}
    for app in APPS:
        for caminho in (RAIZ / app).rglob("*.py"):
            partes = list(caminho.relative_to(RAIZ).with_suffix("").parts)
            if partes[-1] == "__init__":
                partes.pop()
            modulos[".".join(partes)] = caminho
    return modulos


MODULOS = _modulos()


def _imports(nome: str, caminho: Path) -> list[Import]:
    pacote = nome if caminho.name == "__init__.py" else nome.rpartition(".")[0]
    encontrados: list[Import] = []

    def visitar(no: ast.AST, em_funcao: bool, so_tipagem: bool) -> None:
        for filho in ast.iter_child_nodes(no):
            funcao = em_funcao or isinstance(filho, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            tipagem = so_tipagem or (isinstance(filho, ast.If) and "TYPE_CHECKING" in ast.unparse(filho.test))
            if isinstance(filho, ast.Import):
                for nome_importado in filho.names:
                    alvo = nome_importado.name
                    encontrados.append(Import(nome, alvo, alvo, filho.lineno, funcao, tipagem))
            elif isinstance(filho, ast.ImportFrom):
                base = filho.module or ""
                if filho.level:
                    partes = pacote.split(".")[: len(pacote.split(".")) - filho.level + 1]
                    base = ".".join([*partes, base] if base else partes)
                for nome_importado in filho.names:
                    completo = f"{base}.{nome_importado.name}"
                    alvo = completo if completo in MODULOS else base
                    encontrados.append(Import(nome, alvo, completo, filho.lineno, funcao, tipagem))
            visitar(filho, funcao, tipagem)

    visitar(ast.parse(caminho.read_text(encoding="utf-8"), filename=str(caminho)), False, False)
    return encontrados


IMPORTS = {nome: _imports(nome, caminho) for nome, caminho in MODULOS.items()}


def _app(modulo: str) -> str:
    return modulo.partition(".")[0]


def _onde(imp: Import) -> str:
    return f"{MODULOS[imp.origem].relative_to(RAIZ)}:{imp.linha} imports {imp.completo}"


def test_nucleo_nao_importa_integracoes() -> None:
    proibidos = [
        _onde(imp)
        for nome, imports in IMPORTS.items()
        if _app(nome) in NUCLEO
        for imp in imports
        if any(imp.de(integracao) for integracao in INTEGRACOES)
    ]
    assert not proibidos, (
        "the clinical core must not import an integration; register it with pec.integracoes or "
        "pec.outbox in the integration's AppConfig.ready instead:\n" + "\n".join(proibidos)
    )


def _servico_ou_seletor(caminho: Path) -> bool:
    camadas = {"services", "selectors"}
    return caminho.stem in camadas or bool(camadas & set(caminho.relative_to(RAIZ).parts[:-1]))


def test_services_e_selectors_nao_importam_http() -> None:
    proibidos = [
        _onde(imp)
        for nome, imports in IMPORTS.items()
        if _servico_ou_seletor(MODULOS[nome])
        for imp in imports
        if imp.de("django.http")
    ]
    assert not proibidos, "services and selectors take an actor, never a request:\n" + "\n".join(proibidos)


def _grafo(app: str, *, com_adiados: bool) -> dict[str, set[str]]:
    """Imports among one app's modules; deferred ones only when asked."""
    grafo: dict[str, set[str]] = {nome: set() for nome in MODULOS if _app(nome) == app}
    for nome in grafo:
        for imp in IMPORTS[nome]:
            if imp.alvo in grafo and imp.alvo != nome and not imp.so_tipagem and (com_adiados or not imp.em_funcao):
                grafo[nome].add(imp.alvo)
    return grafo


def _ciclos(grafo: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    indice: dict[str, int] = {}
    menor: dict[str, int] = {}
    pilha: list[str] = []
    na_pilha: set[str] = set()
    ciclos: set[frozenset[str]] = set()
    for raiz in sorted(grafo):
        if raiz in indice:
            continue
        trabalho = [(raiz, iter(sorted(grafo[raiz])))]
        indice[raiz] = menor[raiz] = len(indice)
        pilha.append(raiz)
        na_pilha.add(raiz)
        while trabalho:
            no, vizinhos = trabalho[-1]
            proximo = next(vizinhos, None)
            if proximo is not None:
                if proximo not in indice:
                    indice[proximo] = menor[proximo] = len(indice)
                    pilha.append(proximo)
                    na_pilha.add(proximo)
                    trabalho.append((proximo, iter(sorted(grafo[proximo]))))
                elif proximo in na_pilha:
                    menor[no] = min(menor[no], indice[proximo])
                continue
            trabalho.pop()
            if trabalho:
                menor[trabalho[-1][0]] = min(menor[trabalho[-1][0]], menor[no])
            if menor[no] == indice[no]:
                componente = set()
                while True:
                    membro = pilha.pop()
                    na_pilha.discard(membro)
                    componente.add(membro)
                    if membro == no:
                        break
                if len(componente) > 1:
                    ciclos.add(frozenset(componente))
    return ciclos


@pytest.mark.parametrize("app", ["pec", "rnds"])
def test_sem_ciclos_de_import_no_nivel_do_modulo(app: str) -> None:
    ciclos = _ciclos(_grafo(app, com_adiados=False))
    assert not ciclos, f"import circles at module level in {app}: {[sorted(c) for c in ciclos]}"


@pytest.mark.parametrize("app", ["pec", "rnds"])
def test_ciclos_de_import_so_os_conhecidos(app: str) -> None:
    ciclos = _ciclos(_grafo(app, com_adiados=True))
    conhecidos = {ciclo for ciclo in CICLOS_CONHECIDOS if _app(next(iter(ciclo))) == app}
    novos = ciclos - conhecidos
    assert not novos, f"new import circles in {app} (break them, do not defer them): {[sorted(c) for c in novos]}"
    sumidos = conhecidos - ciclos
    assert not sumidos, f"these circles are gone or changed: update CICLOS_CONHECIDOS: {[sorted(c) for c in sumidos]}"


def test_o_leitor_de_imports_enxerga_o_adiado_e_o_relativo(tmp_path: Path) -> None:
    """The rules are only as good as the parser: a deferred, a relative and a typing-only
    import are all seen, and three modules importing each other are one circle."""
    fonte = tmp_path / "exemplo.py"
    fonte.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import outbox\n"
        "if TYPE_CHECKING:\n    from django.http import HttpRequest\n"
        "def f():\n    from rnds import entrega\n",
        encoding="utf-8",
    )
    imports = {imp.completo: imp for imp in _imports("pec.exemplo", fonte)}
    assert imports["pec.outbox"].alvo == "pec.outbox" and not imports["pec.outbox"].em_funcao
    assert imports["django.http.HttpRequest"].so_tipagem and imports["django.http.HttpRequest"].de("django.http")
    assert imports["rnds.entrega"].em_funcao and imports["rnds.entrega"].de("rnds")
    assert _ciclos({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset({"a", "b", "c"})}
