"""A checker of RNDS document Bundles against the official StructureDefinitions.

No offline FHIR validator is available here, so this walks the profiles' snapshots:
cardinality (min and max, including 0..0 prohibitions), fixed[x] and pattern[x]
values, codes of required bindings (against the IG's CodeSystems and ValueSets),
extension slices (by url) and document sections (by the profile of what their entries
resolve to), the profiles of extensions, and the document rules of the RNDS (type
document, Composition first, urn:uuid entries that resolve, meta.profile everywhere).

The profiles come from the RAC and RIA IGs (docs/integracoes/rnds.md names their commits),
compiled by `manage.py rnds_compilar_perfis` into rnds/dados/perfis.json.gz: only what
the checks need, so the 40 MB of IG files do not ship.

Some readings are lenient on purpose, because the official examples (which the RNDS
accepts) rely on them: a section is matched to a slice by the entries that resolve to
that slice's profile (the RAC example puts every entry in one section); an empty JSON
object (`"note": [{}]` in the RAC example) counts as absent; a resource's own `id` and
narrative `text` are not held to a 0..0 (entry ids are transient, and the IG publisher
adds narratives to its rendered examples); and a subject carrying the
BRIndividuoNaoIdentificado extension needs no identifier (the profiles' invariant).
"""

from __future__ import annotations

import copy
import gzip
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DADOS = Path(__file__).parent / "dados" / "perfis.json.gz"
SD = "http://www.saude.gov.br/fhir/r4/StructureDefinition/"
# Which IG folder is authoritative for each document (both define 14 shared URLs, in
# different versions; SOURCE.md: do not mix them).
CONJUNTOS = {
    "rac": (["rac", "core-unofficial"], ["rac", "core-unofficial"]),
    "ria": (["ria", "core-unofficial"], ["ria", "core-unofficial"]),
}
DOCUMENTOS = {
    SD + "BRRegistroAtendimentoClinico": "rac",
    SD + "BRRegistroImunobiologicoAdministradoRotina-2.0": "ria",
}


# --- Compiling the IG files -------------------------------------------------------------


def _elemento(e: dict[str, Any]) -> dict[str, Any]:
    saida: dict[str, Any] = {"id": e["id"], "min": e.get("min", 0), "max": e.get("max", "*")}
    for chave, valor in e.items():
        if chave.startswith("fixed"):
            saida["fixed"] = valor
        elif chave.startswith("pattern"):
            saida["pattern"] = valor
    binding = e.get("binding") or {}
    if binding.get("strength") == "required" and binding.get("valueSet"):
        saida["vs"] = binding["valueSet"].split("|")[0]
    tipos = e.get("type") or []
    saida["tipos"] = [t.get("code", "") for t in tipos]
    perfis = [p for t in tipos for p in t.get("profile", [])]
    alvos = [p for t in tipos for p in t.get("targetProfile", [])]
    if perfis:
        saida["perfis"] = perfis
    if alvos:
        saida["alvos"] = alvos
    if e.get("slicing"):
        saida["slicing"] = e["slicing"].get("discriminator", [])
    if e.get("sliceName"):
        saida["fatia"] = e["sliceName"]
    return saida


def _codigos(conceitos: list[dict[str, Any]]) -> list[str]:
    saida = []
    for c in conceitos:
        saida.append(c["code"])
        saida.extend(_codigos(c.get("concept", [])))
    return saida


def compilar(origem: Path) -> dict[str, Any]:
    """Read the IG folders under `origem` (`profiles/`, `terminology/`) into the compact form."""
    compilado: dict[str, Any] = {}
    for nome, (pastas_perfis, pastas_termos) in CONJUNTOS.items():
        perfis: dict[str, Any] = {}
        for pasta in reversed(pastas_perfis):  # the first folder wins
            for arquivo in sorted((origem / "profiles" / pasta).glob("StructureDefinition-*.json")):
                sd = json.loads(arquivo.read_text())
                perfis[sd["url"]] = {"tipo": sd["type"], "elementos": [_elemento(e) for e in sd["snapshot"]["element"]]}
        sistemas: dict[str, list[str]] = {}
        conjuntos_valores: dict[str, Any] = {}
        for pasta in reversed(pastas_termos):
            for arquivo in sorted((origem / "terminology" / pasta).glob("*.json")):
                recurso = json.loads(arquivo.read_text())
                if recurso.get("resourceType") == "CodeSystem" and recurso.get("content") != "not-present":
                    sistemas[recurso["url"]] = _codigos(recurso.get("concept", []))
                elif recurso.get("resourceType") == "ValueSet":
                    conjuntos_valores[recurso["url"]] = [
                        {k: v for k, v in inc.items() if k in ("system", "valueSet")}
                        | ({"codigos": [c["code"] for c in inc["concept"]]} if inc.get("concept") else {})
                        for inc in (recurso.get("compose") or {}).get("include", [])
                    ]
        usados = {e["vs"] for p in perfis.values() for e in p["elementos"] if "vs" in e}
        conjuntos_valores = {url: vs for url, vs in conjuntos_valores.items() if url in usados}
        sistemas_usados = {inc.get("system") for vs in conjuntos_valores.values() for inc in vs}
        compilado[nome] = {
            "perfis": perfis,
            "valuesets": conjuntos_valores,
            "sistemas": {url: codigos for url, codigos in sistemas.items() if url in sistemas_usados},
        }
    return compilado


def compilar_para_arquivo(origem: Path, destino: Path = DADOS) -> int:
    destino.parent.mkdir(parents=True, exist_ok=True)
    dados = json.dumps(compilar(origem), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    destino.write_bytes(gzip.compress(dados, mtime=0))
    return destino.stat().st_size


# --- Checking ---------------------------------------------------------------------------------


@dataclass
class Conjunto:
    perfis: dict[str, Any]
    valuesets: dict[str, list[dict[str, Any]]]
    sistemas: dict[str, list[str]]
    _expandidos: dict[str, tuple[frozenset[tuple[str, str]], frozenset[str]] | None] = field(default_factory=dict)

    def expandir(self, url: str) -> tuple[frozenset[tuple[str, str]], frozenset[str]] | None:
        """(allowed (system, code) pairs, systems allowed whole) or None if unknown here."""
        if url in self._expandidos:
            return self._expandidos[url]
        inclusoes = self.valuesets.get(url)
        if inclusoes is None:
            self._expandidos[url] = None
            return None
        pares: set[tuple[str, str]] = set()
        inteiros: set[str] = set()
        for inc in inclusoes:
            sistema = inc.get("system", "")
            if inc.get("codigos"):
                pares.update((sistema, c) for c in inc["codigos"])
            elif sistema in self.sistemas:
                pares.update((sistema, c) for c in self.sistemas[sistema])
            elif sistema:
                inteiros.add(sistema)  # a system the IG does not ship: any code of it
            for outro in inc.get("valueSet", []):
                sub = self.expandir(outro.split("|")[0])
                if sub:
                    pares.update(sub[0])
                    inteiros.update(sub[1])
        resultado = (frozenset(pares), frozenset(inteiros))
        self._expandidos[url] = resultado
        return resultado


@lru_cache(maxsize=1)
def conjuntos() -> dict[str, Conjunto]:
    """The compiled profile sets (rnds/dados/perfis.json.gz), read once per process."""
    bruto = json.loads(gzip.decompress(DADOS.read_bytes()))
    return {
        nome: Conjunto(perfis=c["perfis"], valuesets=c["valuesets"], sistemas=c["sistemas"])
        for nome, c in bruto.items()
    }


def _vazio(valor: Any) -> bool:
    return valor is None or valor == {} or valor == [] or valor == ""


def _valores(no: dict[str, Any], nome: str) -> list[Any]:
    if nome.endswith("[x]"):
        prefixo = nome[:-3]
        brutos = [v for k, v in no.items() if k.startswith(prefixo) and k[len(prefixo) :][:1].isupper()]
    else:
        brutos = [no[nome]] if nome in no else []
    saida: list[Any] = []
    for valor in brutos:
        saida.extend(valor if isinstance(valor, list) else [valor])
    return [v for v in saida if not _vazio(v)]


def _casa_padrao(padrao: Any, valor: Any) -> bool:
    if isinstance(padrao, dict):
        return isinstance(valor, dict) and all(_casa_padrao(v, valor.get(k)) for k, v in padrao.items())
    if isinstance(padrao, list):
        valores = valor if isinstance(valor, list) else [valor]
        return all(any(_casa_padrao(p, v) for v in valores) for p in padrao)
    return padrao == valor  # type: ignore[no-any-return]  # a leaf of a JSON document: == of str, int, bool or None


def _perfis_do_recurso(recurso: dict[str, Any]) -> list[str]:
    return [p.split("|")[0] for p in (recurso.get("meta") or {}).get("profile", [])]


@dataclass
class _Verificacao:
    conjunto: Conjunto
    recursos: dict[str, dict[str, Any]]  # fullUrl -> resource
    erros: list[str] = field(default_factory=list)

    def erro(self, caminho: str, mensagem: str) -> None:
        self.erros.append(f"{caminho}: {mensagem}")

    def resolver(self, referencia: Any) -> dict[str, Any] | None:
        if not isinstance(referencia, dict):
            return None
        return self.recursos.get(referencia.get("reference", ""))

    # A profile: elements indexed by id, children by parent id.
    def perfil(self, url: str, recurso: dict[str, Any], caminho: str) -> None:
        sd = self.conjunto.perfis.get(url)
        if sd is None:
            self.erro(caminho, f"perfil desconhecido {url} (ERR862)")
            return
        elementos = [
            e for e in sd["elementos"] if not (e["id"].count(".") == 1 and e["id"].split(".")[1] in ("id", "text"))
        ]
        filhos: dict[str, list[dict[str, Any]]] = {}
        for e in elementos[1:]:
            filhos.setdefault(e["id"].rsplit(".", 1)[0], []).append(e)
        self.no(recurso, elementos[0]["id"], filhos, caminho)

    def no(self, no: dict[str, Any], pai: str, filhos: dict[str, list[dict[str, Any]]], caminho: str) -> None:
        for e in filhos.get(pai, []):
            if "fatia" in e:
                continue
            nome = e["id"].rsplit(".", 1)[1]
            valores = _valores(no, nome)
            self.elemento(e, valores, filhos, f"{caminho}.{nome}")
            for fatia in filhos.get(pai, []):
                if "fatia" in fatia and fatia["id"].rsplit(":", 1)[0] == e["id"]:
                    casados = [v for v in (self.casar(e, fatia, v, filhos) for v in valores) if v is not None]
                    self.elemento(fatia, casados, filhos, f"{caminho}.{nome}:{fatia['fatia']}")

    def casar(
        self, base: dict[str, Any], fatia: dict[str, Any], valor: Any, filhos: dict[str, list[dict[str, Any]]]
    ) -> Any:
        """The value (or the part of it) that belongs to the slice, or None."""
        discriminadores = base.get("slicing") or []
        if not discriminadores or not isinstance(valor, dict):
            return None
        for d in discriminadores:
            caminho = d.get("path", "")
            if d.get("type") == "profile" and caminho.endswith(".resolve()"):
                campo = caminho.removesuffix(".resolve()")
                alvo = next((f for f in filhos.get(fatia["id"], []) if f["id"].endswith("." + campo)), None)
                alvos = set((alvo or {}).get("alvos", []))
                referencias = valor.get(campo)
                if isinstance(referencias, list):
                    proprias = [r for r in referencias if alvos & set(_perfis_do_recurso(self.resolver(r) or {}))]
                    if not proprias:
                        return None
                    parte = copy.copy(valor)
                    parte[campo] = proprias
                    return parte
                if not alvos & set(_perfis_do_recurso(self.resolver(referencias) or {})):
                    return None
            elif d.get("type") in ("value", "pattern"):
                esperado_el = next((f for f in filhos.get(fatia["id"], []) if f["id"].endswith("." + caminho)), None)
                esperado = (esperado_el or {}).get("fixed", (esperado_el or {}).get("pattern"))
                if esperado is None and caminho == "url":
                    esperado = next(iter(fatia.get("perfis", [])), None)
                if esperado is None or not _casa_padrao(esperado, valor.get(caminho)):
                    return None
            else:
                return None
        return valor

    def nao_identificado(self, e: dict[str, Any], caminho: str) -> bool:
        """An unidentified patient's reference carries the extension instead of an identifier."""
        return e["id"].endswith(".identifier") and self._pai_nao_identificado

    _pai_nao_identificado: bool = False

    def elemento(
        self, e: dict[str, Any], valores: list[Any], filhos: dict[str, list[dict[str, Any]]], caminho: str
    ) -> None:
        if len(valores) < e["min"] and not self.nao_identificado(e, caminho):
            self.erro(
                caminho, "obrigatório e ausente" if e["min"] == 1 else f"exige ao menos {e['min']}, há {len(valores)}"
            )
        if e["max"] != "*" and len(valores) > int(e["max"]):
            self.erro(
                caminho, "não permitido neste perfil" if e["max"] == "0" else f"no máximo {e['max']}, há {len(valores)}"
            )
        for n, valor in enumerate(valores):
            aqui = caminho if len(valores) == 1 else f"{caminho}[{n}]"
            if "fixed" in e and valor != e["fixed"]:
                self.erro(
                    aqui,
                    f"deve ser {json.dumps(e['fixed'], ensure_ascii=False)}, é {json.dumps(valor, ensure_ascii=False)}",
                )
            if "pattern" in e and not _casa_padrao(e["pattern"], valor):
                self.erro(aqui, f"deve conter {json.dumps(e['pattern'], ensure_ascii=False)}")
            if "vs" in e:
                self.codigo(e["vs"], valor, aqui)
            if isinstance(valor, dict):
                anterior = self._pai_nao_identificado
                self._pai_nao_identificado = any(
                    isinstance(x, dict) and x.get("url") == SD + "BRIndividuoNaoIdentificado-1.0"
                    for x in valor.get("extension", [])
                )
                self.no(valor, e["id"], filhos, aqui)
                self._pai_nao_identificado = anterior
                if e.get("tipos") == ["Extension"]:
                    for perfil in e.get("perfis", []):
                        if perfil in self.conjunto.perfis and valor.get("url") == perfil:
                            self.perfil(perfil, valor, aqui)

    def codigo(self, url: str, valor: Any, caminho: str) -> None:
        expandido = self.conjunto.expandir(url)
        if expandido is None:
            return  # a FHIR core value set: not shipped with the IGs
        pares, inteiros = expandido
        if isinstance(valor, str):
            if not any(c == valor for _, c in pares) and not inteiros:
                self.erro(caminho, f"código {valor!r} fora do conjunto {url.rsplit('/', 1)[-1]}")
            return
        if not isinstance(valor, dict) or not ("coding" in valor or "code" in valor):
            return  # another type of a choice element (e.g. medicationReference)
        codings = valor.get("coding", [valor] if "code" in valor else [])
        if any((c.get("system", ""), c.get("code", "")) in pares or c.get("system") in inteiros for c in codings):
            return
        achados = (
            ", ".join(f"{c.get('system', '?').rsplit('/', 1)[-1]}|{c.get('code', '?')}" for c in codings) or "nenhum"
        )
        self.erro(caminho, f"código {achados} fora do conjunto {url.rsplit('/', 1)[-1]}")


def _referencias(valor: Any) -> list[str]:
    if isinstance(valor, dict):
        saida = [valor["reference"]] if isinstance(valor.get("reference"), str) else []
        for k, v in valor.items():
            if k != "reference":
                saida.extend(_referencias(v))
        return saida
    if isinstance(valor, list):
        return [r for v in valor for r in _referencias(v)]
    return []


def verificar_bundle(bundle: dict[str, Any]) -> list[str]:
    """Every rule broken by a RAC or RIA-R document Bundle; empty when it checks out."""
    erros: list[str] = []
    if bundle.get("resourceType") != "Bundle":
        return ["resourceType: deve ser Bundle"]
    if bundle.get("type") != "document":
        erros.append("Bundle.type: deve ser document (ERR923)")
    identificador = bundle.get("identifier") or {}
    if not str(identificador.get("system", "")).startswith("http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-"):
        erros.append("Bundle.identifier.system: deve ser …/NamingSystem/BRRNDS-<identificador do solicitante>")
    if not identificador.get("value"):
        erros.append("Bundle.identifier.value: obrigatório (identificador local do registro)")
    if not bundle.get("timestamp"):
        erros.append("Bundle.timestamp: obrigatório")
    entradas = bundle.get("entry") or []
    if not entradas or (entradas[0].get("resource") or {}).get("resourceType") != "Composition":
        return [*erros, "Bundle.entry[0]: a primeira entrada deve ser a Composition (ERR922)"]
    # Nested documents (a prescription inside a RAC) are Compositions too; the root is the one
    # with a document profile.
    raizes = [e for e in entradas if DOCUMENTOS.keys() & set(_perfis_do_recurso(e.get("resource") or {}))]
    if len(raizes) != 1:
        erros.append(f"Bundle.entry: deve haver exatamente uma Composition raiz, há {len(raizes)} (ERR812/813)")
    perfil_doc = next(iter(_perfis_do_recurso(entradas[0]["resource"])), "")
    nome = DOCUMENTOS.get(perfil_doc)
    if nome is None:
        return [*erros, f"Composition.meta.profile: documento {perfil_doc or 'sem perfil'} não suportado (ERR862/887)"]
    recursos = {e.get("fullUrl", ""): e.get("resource") or {} for e in entradas}
    verificacao = _Verificacao(conjunto=conjuntos()[nome], recursos=recursos, erros=erros)
    for n, entrada in enumerate(entradas):
        recurso = entrada.get("resource") or {}
        caminho = f"Bundle.entry[{n}].{recurso.get('resourceType', '?')}"
        if not str(entrada.get("fullUrl", "")).startswith("urn:uuid:"):
            verificacao.erro(caminho, "fullUrl deve ser urn:uuid:… (ERR918)")
        for ref in _referencias(recurso):
            if ref.startswith("urn:uuid:") and ref not in recursos:
                verificacao.erro(caminho, f"referência {ref} não está no Bundle (ERR919)")
        perfis = _perfis_do_recurso(recurso)
        if not perfis:
            verificacao.erro(caminho, "meta.profile obrigatório (ERR887)")
        for perfil in perfis:
            verificacao.perfil(perfil, recurso, caminho)
    return verificacao.erros
