"""Synthetic citizens for benchmarks and demos: realistic Brazilian names (frequent first
names and surnames, weighted), valid CPF and CNS, plausible dates. Never real people."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from typing import Any

from dados import municipios
from pec.documentos import cns_definitivo, cns_provisorio, cpf_com_digitos
from prontuario.cadastro.texto import colunas_busca, nome_normalizado

# Frequent given names and surnames in Brazil (IBGE Censo 2010 "Nomes no Brasil" tops),
# with rough weights so that "Maria" and "Silva" are as common as they really are.
FEMININOS = [
    ("Maria", 60),
    ("Ana", 25),
    ("Francisca", 8),
    ("Antônia", 6),
    ("Adriana", 5),
    ("Juliana", 5),
    ("Márcia", 5),
    ("Fernanda", 5),
    ("Patrícia", 5),
    ("Aline", 5),
    ("Sandra", 4),
    ("Camila", 4),
    ("Amanda", 4),
    ("Bruna", 4),
    ("Jéssica", 4),
    ("Letícia", 4),
    ("Júlia", 4),
    ("Luciana", 4),
    ("Vanessa", 4),
    ("Mariana", 4),
    ("Gabriela", 4),
    ("Vera", 3),
    ("Vitória", 3),
    ("Larissa", 3),
    ("Cláudia", 3),
    ("Beatriz", 3),
    ("Luana", 3),
    ("Rita", 3),
    ("Sônia", 3),
    ("Renata", 3),
    ("Eliane", 3),
    ("Josefa", 3),
    ("Simone", 3),
    ("Natália", 3),
    ("Cristiane", 3),
    ("Carla", 3),
    ("Débora", 2),
    ("Rosângela", 2),
    ("Jaqueline", 2),
    ("Rosa", 2),
    ("Daniela", 2),
    ("Aparecida", 2),
    ("Marlene", 2),
    ("Terezinha", 2),
    ("Raimunda", 2),
    ("Andréia", 2),
    ("Fabiana", 2),
    ("Lúcia", 2),
    ("Raquel", 2),
    ("Ângela", 2),
    ("Rafaela", 2),
    ("Joana", 2),
    ("Luzia", 2),
    ("Isabela", 2),
    ("Helena", 2),
    ("Alice", 2),
    ("Laura", 2),
    ("Valentina", 2),
    ("Heloísa", 2),
    ("Manuela", 2),
    ("Eduarda", 2),
    ("Sophia", 2),
    ("Lívia", 2),
]
MASCULINOS = [
    ("José", 50),
    ("João", 30),
    ("Antônio", 25),
    ("Francisco", 20),
    ("Carlos", 15),
    ("Paulo", 14),
    ("Pedro", 12),
    ("Lucas", 12),
    ("Luiz", 11),
    ("Marcos", 10),
    ("Luis", 8),
    ("Gabriel", 8),
    ("Rafael", 7),
    ("Daniel", 6),
    ("Marcelo", 6),
    ("Bruno", 6),
    ("Eduardo", 5),
    ("Felipe", 5),
    ("Raimundo", 5),
    ("Rodrigo", 5),
    ("Manoel", 4),
    ("Mateus", 4),
    ("André", 4),
    ("Fernando", 4),
    ("Fábio", 4),
    ("Leonardo", 4),
    ("Gustavo", 4),
    ("Guilherme", 4),
    ("Leandro", 3),
    ("Tiago", 3),
    ("Anderson", 3),
    ("Ricardo", 3),
    ("Márcio", 3),
    ("Jorge", 3),
    ("Sebastião", 3),
    ("Alexandre", 3),
    ("Roberto", 3),
    ("Edson", 3),
    ("Diego", 3),
    ("Vitor", 3),
    ("Sérgio", 3),
    ("Cláudio", 3),
    ("Matheus", 3),
    ("Thiago", 3),
    ("Geraldo", 2),
    ("Adriano", 2),
    ("Luciano", 2),
    ("Júlio", 2),
    ("Renato", 2),
    ("Alex", 2),
    ("Vinícius", 2),
    ("Rogério", 2),
    ("Samuel", 2),
    ("Ronaldo", 2),
    ("Mário", 2),
    ("Flávio", 2),
    ("Miguel", 2),
    ("Arthur", 2),
    ("Heitor", 2),
    ("Davi", 2),
    ("Bernardo", 2),
    ("Enzo", 2),
    ("Benjamin", 1),
]
SOBRENOMES = [
    ("Silva", 60),
    ("Santos", 40),
    ("Oliveira", 30),
    ("Souza", 25),
    ("Rodrigues", 18),
    ("Ferreira", 18),
    ("Alves", 17),
    ("Pereira", 17),
    ("Lima", 16),
    ("Gomes", 15),
    ("Costa", 14),
    ("Ribeiro", 14),
    ("Martins", 13),
    ("Carvalho", 13),
    ("Almeida", 12),
    ("Lopes", 11),
    ("Soares", 11),
    ("Fernandes", 11),
    ("Vieira", 11),
    ("Barbosa", 10),
    ("Rocha", 10),
    ("Dias", 10),
    ("Nascimento", 10),
    ("Andrade", 9),
    ("Moreira", 9),
    ("Nunes", 9),
    ("Marques", 8),
    ("Machado", 8),
    ("Mendes", 8),
    ("Freitas", 8),
    ("Cardoso", 8),
    ("Ramos", 7),
    ("Gonçalves", 7),
    ("Santana", 7),
    ("Teixeira", 7),
    ("Araújo", 7),
    ("Pinto", 6),
    ("Correia", 6),
    ("Moura", 6),
    ("Cavalcanti", 5),
    ("Monteiro", 5),
    ("Batista", 5),
    ("Campos", 5),
    ("Castro", 5),
    ("Reis", 5),
    ("Medeiros", 5),
    ("Cunha", 5),
    ("Melo", 5),
    ("Azevedo", 5),
    ("Farias", 4),
    ("Brito", 4),
    ("Borges", 4),
    ("Pires", 4),
    ("Jesus", 4),
    ("Conceição", 4),
    ("Xavier", 3),
    ("Macedo", 3),
    ("Guimarães", 3),
    ("Miranda", 3),
    ("Bezerra", 3),
    ("Queiroz", 3),
    ("Siqueira", 3),
    ("Tavares", 3),
    ("Aguiar", 3),
    ("Nogueira", 3),
    ("Fonseca", 3),
    ("Coelho", 3),
    ("Sampaio", 2),
    ("Lacerda", 2),
    ("Magalhães", 2),
    ("Brandão", 2),
    ("Damasceno", 2),
    ("Figueiredo", 2),
    ("D'Ávila", 1),
    ("Assunção", 1),
    ("Sant'Anna", 1),
    ("Müller", 1),
    ("Nakamura", 1),
    ("Yamamoto", 1),
]


def _particula(sobrenome: str) -> str:
    """ "dos Santos", "da Silva", "de Oliveira"."""
    if sobrenome in ("Santos", "Reis", "Anjos"):
        return "dos"
    return "da" if sobrenome.endswith(("a", "ão")) else "de"


class Gerador:
    def __init__(self, *, municipio_id: int, seed: int, primeiro_documento: int) -> None:
        self.municipio_id = municipio_id
        self.rng = random.Random(seed)
        self.documento = primeiro_documento
        self._fem = ([n for n, _ in FEMININOS], [p for _, p in FEMININOS])
        self._masc = ([n for n, _ in MASCULINOS], [p for _, p in MASCULINOS])
        self._sob = ([n for n, _ in SOBRENOMES], [p for _, p in SOBRENOMES])
        self._municipios = sorted(municipios())

    def _um(self, lista: tuple[list[str], list[int]]) -> str:
        return self.rng.choices(lista[0], lista[1])[0]

    def _sobrenomes(self, n: int) -> list[str]:
        escolhidos: list[str] = []
        while len(escolhidos) < n:
            s = self._um(self._sob)
            if s not in escolhidos:
                escolhidos.append(s)
        return escolhidos

    def _prenomes(self, feminino: bool) -> list[str]:
        lista = self._fem if feminino else self._masc
        prenomes = [self._um(lista)]
        if self.rng.random() < 0.35:
            segundo = self._um(lista)
            if segundo != prenomes[0]:
                prenomes.append(segundo)
        return prenomes

    def _nome(self, prenomes: list[str], sobrenomes: list[str]) -> str:
        partes = list(prenomes)
        for i, s in enumerate(sobrenomes):
            if i == 0 and self.rng.random() < 0.3:
                partes.append(_particula(s))
            partes.append(s)
        return nome_normalizado(" ".join(partes))

    def _cpf(self) -> str:
        self.documento += 1
        return cpf_com_digitos(f"{self.documento:09d}")

    def _cns(self) -> str:
        self.documento += 1
        if self.rng.random() < 0.6:
            return cns_definitivo(f"{1 if self.rng.random() < 0.5 else 2}{self.documento:010d}")
        while True:
            self.documento += 1
            if provisorio := cns_provisorio(f"{self.rng.choice('789')}{self.documento:013d}"):
                return provisorio

    def cidadao(self, hoje: datetime.date) -> dict[str, Any]:
        feminino = self.rng.random() < 0.51
        sob_mae = self._sobrenomes(self.rng.choice([1, 2, 2]))
        sob_pai = self._sobrenomes(self.rng.choice([1, 1, 2]))
        nome = self._nome(
            self._prenomes(feminino), [sob_mae[-1], sob_pai[-1]] if sob_pai[-1] != sob_mae[-1] else sob_pai
        )
        nome_mae = "" if self.rng.random() < 0.03 else self._nome(self._prenomes(True), sob_mae)
        nome_pai = "" if self.rng.random() < 0.2 else self._nome(self._prenomes(False), sob_pai)
        nascimento = hoje - datetime.timedelta(days=self.rng.randint(0, 95 * 365))
        return {
            "nome": nome,
            "cpf": self._cpf() if self.rng.random() < 0.75 else "",
            "cns": self._cns() if self.rng.random() < 0.85 else "",
            "data_nascimento": nascimento,
            "sexo": 1 if feminino else 0,
            "raca_cor": self.rng.choices([1, 2, 3, 4, 5], [43, 10, 1, 45, 1])[0],
            "nome_mae": nome_mae,
            "mae_desconhecida": not nome_mae,
            "nome_pai": nome_pai,
            "pai_desconhecido": not nome_pai,
            "municipio_nascimento_ibge": self.rng.choice(self._municipios),
            "telefone_celular": f"{self.rng.randint(11, 99)}9{self.rng.randint(10000000, 99999999)}",
        }

    def linhas(self, quantidade: int, hoje: datetime.date) -> Iterator[dict[str, Any]]:
        for _ in range(quantidade):
            dados = self.cidadao(hoje)
            if dados["raca_cor"] == 5:
                dados["etnia"] = self.rng.randint(1, 269)
            dados.update(colunas_busca(nome=dados["nome"], nome_social="", nome_mae=dados["nome_mae"]))
            yield dados
