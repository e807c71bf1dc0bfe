// Imóvel form: only the groups of fields the chosen tipo de imóvel has (condições de
// moradia, animais, instituição de permanência) are shown; a hidden group is disabled, so
// what was typed there before the tipo changed is not sent (the server refuses it anyway).
(function () {
  "use strict";
  var form = document.getElementById("form-imovel");
  var tipo = form && form.querySelector("[data-tipo-imovel]");
  if (!tipo) {
    return;
  }
  var grupos = form.querySelectorAll("fieldset[data-tipos]");

  function mostrar() {
    grupos.forEach(function (grupo) {
      var ativo = grupo.dataset.tipos.split(" ").indexOf(tipo.value) !== -1;
      grupo.hidden = !ativo;
      grupo.disabled = !ativo;
    });
  }

  tipo.addEventListener("change", mostrar);
  mostrar();
})();
