// Imóvel form: only the groups of fields the chosen tipo de imóvel has (condições de
// moradia, animais, instituição de permanência) are shown, and none with the termo de
// recusa (only the address is registered); a hidden group is disabled, so what was typed
// there before is not sent (the server refuses it anyway).
(function () {
  "use strict";
  var form = document.getElementById("form-imovel");
  var tipo = form && form.querySelector("[data-tipo-imovel]");
  if (!tipo) {
    return;
  }
  var recusa = form.querySelector("#id_recusa");
  var grupos = form.querySelectorAll("fieldset[data-tipos]");

  function mostrar() {
    var recusado = recusa !== null && recusa.checked;
    grupos.forEach(function (grupo) {
      var ativo = !recusado && grupo.dataset.tipos.split(" ").indexOf(tipo.value) !== -1;
      grupo.hidden = !ativo;
      grupo.disabled = !ativo;
    });
  }

  tipo.addEventListener("change", mostrar);
  if (recusa !== null) {
    recusa.addEventListener("change", mostrar);
  }
  mostrar();
})();
