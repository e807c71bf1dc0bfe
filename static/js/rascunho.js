// Autosave of the atendimento: the whole form is posted every 5 seconds when something
// changed and whenever a field loses focus. The server answers the new version; a 409
// means someone else saved first, and nothing is overwritten.
(function () {
  "use strict";
  var form = document.getElementById("atendimento");
  if (!form) {
    return;
  }
  var estado = document.getElementById("rascunho-estado");
  var versao = form.querySelector("input[name=versao]");
  var alterado = false;
  var enviando = false;
  var bloqueado = false;
  var emCurso = Promise.resolve();

  function mostrar(texto, erro) {
    estado.textContent = texto;
    estado.className = erro ? "erro" : "";
  }

  function salvar() {
    if (!alterado || enviando || bloqueado) {
      return;
    }
    alterado = false;
    enviando = true;
    emCurso = fetch(form.dataset.rascunho, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (resposta) {
        return resposta.json().then(function (dados) { return { status: resposta.status, dados: dados }; });
      })
      .then(function (r) {
        if (r.status === 200) {
          versao.value = r.dados.versao;
          mostrar("Rascunho salvo às " + new Date().toLocaleTimeString("pt-BR") + ".", false);
        } else {
          bloqueado = r.status === 409;
          mostrar(r.dados.erro || "Não foi possível salvar o rascunho.", true);
        }
      })
      .catch(function () {
        alterado = true;
        mostrar("Sem conexão: o rascunho será salvo assim que a conexão voltar.", true);
      })
      .finally(function () { enviando = false; });
  }

  // Clicking "Finalizar" blurs the last field, which starts a save; the final submit must
  // carry the version that save returns, so it waits for it.
  form.addEventListener("submit", function (evento) {
    bloqueado = true;
    if (enviando) {
      evento.preventDefault();
      emCurso.then(function () { form.submit(); });
    }
  });
  form.addEventListener("input", function () { alterado = true; });
  form.addEventListener("change", function () { alterado = true; });
  form.addEventListener("focusout", salvar);
  setInterval(salvar, 5000);
})();
