// Lista de atendimentos: every few seconds fetch the rows (an HTML fragment rendered by
// the server with the same filters) and swap them in, so professionals see arrivals and
// state changes without reloading. Paused while the tab is hidden or a row has focus.
(function () {
  "use strict";
  var corpo = document.getElementById("lista-linhas");
  if (!corpo) {
    return;
  }
  var estado = document.getElementById("lista-estado");
  var INTERVALO = 5000;
  var buscando = false;

  function atualizar() {
    if (buscando || document.hidden || corpo.contains(document.activeElement)) {
      return;
    }
    buscando = true;
    fetch(corpo.dataset.fragmento, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (resposta) {
        if (!resposta.ok) {
          throw new Error(String(resposta.status));
        }
        return resposta.text();
      })
      .then(function (html) {
        corpo.innerHTML = html;
        estado.textContent = "Atualizada às " + new Date().toLocaleTimeString("pt-BR");
        estado.className = "";
      })
      .catch(function () {
        estado.textContent = "Não foi possível atualizar a lista; tentando de novo.";
        estado.className = "erro";
      })
      .finally(function () {
        buscando = false;
      });
  }

  setInterval(atualizar, INTERVALO);
  document.addEventListener("visibilitychange", atualizar);
})();
