// Autocomplete of national codes (CIAP2, CID-10, SIGTAP, CATMAT): each input with
// data-terminologia gets a <datalist> filled from the JSON search as the user types.
// Without JavaScript the field still accepts a typed code.
(function () {
  "use strict";
  var contador = 0;
  document.querySelectorAll("input[data-terminologia]").forEach(function (input) {
    var lista = document.createElement("datalist");
    lista.id = "terminologia-" + (++contador);
    input.setAttribute("list", lista.id);
    input.after(lista);
    var espera = null;
    var ultima = "";
    input.addEventListener("input", function () {
      var texto = input.value.trim();
      if (texto.length < 2 || texto === ultima || texto.indexOf(" - ") > 0) {
        return;
      }
      clearTimeout(espera);
      espera = setTimeout(function () {
        ultima = texto;
        fetch(input.dataset.url + "?q=" + encodeURIComponent(texto), { credentials: "same-origin" })
          .then(function (resposta) { return resposta.ok ? resposta.json() : { resultados: [] }; })
          .then(function (dados) {
            lista.replaceChildren.apply(lista, dados.resultados.map(function (termo) {
              var opcao = document.createElement("option");
              opcao.value = termo.codigo + " - " + termo.descricao;
              return opcao;
            }));
          })
          .catch(function () { ultima = ""; });
      }, 200);
    });
  });
})();
