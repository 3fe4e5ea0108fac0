// Live pickers for the zoho-crm-read and zoho-crm-write dialogs. The editor loads this file once from
// the package's resources/ folder before the nodes' own scripts. Lists come from the connection's
// admin routes (GET zoho-config/<id>/modules and /fields?module=); the value stays a typeable string.
(function () {
    "use strict";
    if (window.ZohoCrmPickers) return;

    var CACHE_MS = 60000; // the runtime caches metadata for 5 minutes; this only saves round trips
    var cache = {};

    // Picker strings live in the zoho-config catalog so both nodes share one set of translations.
    function t(key, options) {
        var def = RED.nodes.getType("zoho-config");
        return def && def._ ? def._("zoho-config." + key, options) : key;
    }

    function errorText(xhr) {
        if (!xhr || xhr.status === 0) return t("errors.noResponse");
        if (xhr.status === 401 || xhr.status === 403) return t("picker.notAllowed");
        var body = xhr.responseJSON || {};
        var key = "zoho-config.errors." + body.error;
        var translated = body.error ? t("errors." + body.error) : key;
        return translated !== key ? translated : body.message || t("errors.unexpected", { status: xhr.status });
    }

    // The connection chosen in the open dialog: a deployed node or a new one (the routes accept both).
    function connectionId() {
        var id = $("#node-input-connection").val();
        return id && id !== "_ADD_" ? id : "";
    }

    function getJSON(path, refresh) {
        var hit = cache[path];
        if (!refresh && hit && Date.now() - hit.at < CACHE_MS) return hit.promise;
        var promise = new Promise(function (resolve, reject) {
            // Relative URL: the editor adds the admin token and httpAdminRoot.
            $.ajax({ url: path + (refresh ? (path.indexOf("?") < 0 ? "?" : "&") + "refresh=true" : ""), dataType: "json", cache: false })
                .done(resolve)
                .fail(function (xhr) { reject(new Error(errorText(xhr))); });
        });
        cache[path] = { at: Date.now(), promise: promise };
        promise.catch(function () { if (cache[path] && cache[path].promise === promise) delete cache[path]; });
        return promise;
    }

    function byLabel(a, b) { return a.label.localeCompare(b.label); }

    /** Items {value, label, badges} for a picker spec (see stringType). Rejects with a message to show. */
    function loadItems(spec, refresh) {
        var id = connectionId();
        if (!id) return Promise.reject(new Error(t("picker.noConnection")));
        var base = "zoho-config/" + encodeURIComponent(id);
        if (spec.kind === "modules") {
            return getJSON(base + "/modules", refresh).then(function (r) {
                return (r.modules || []).map(function (m) {
                    return { value: m.apiName, label: m.label, badges: m.custom ? [t("picker.custom")] : [] };
                });
            });
        }
        var module = spec.module();
        if (!module) return Promise.reject(new Error(t("picker.needModule")));
        return getJSON(base + "/fields?module=" + encodeURIComponent(module), refresh).then(function (r) {
            var fields = (r.fields || []).filter(function (f) { return !(spec.uniqueFirst && f.readOnly); });
            var items = fields.map(function (f) {
                var badges = [];
                if (f.unique) badges.push(t("picker.unique"));
                if (f.mandatory) badges.push(t("picker.mandatory"));
                return { value: f.apiName, label: f.label, unique: f.unique, badges: badges };
            }).sort(byLabel);
            if (spec.uniqueFirst) items.sort(function (a, b) { return (b.unique ? 1 : 0) - (a.unique ? 1 : 0) || byLabel(a, b); });
            return items;
        });
    }

    function itemView(item) {
        var row = $('<span class="zoho-crm-picker-label"></span>').text(item.label + " ");
        $('<span class="zoho-crm-picker-api"></span>').text("(" + item.value + ")").appendTo(row);
        item.badges.forEach(function (b) { $('<span class="zoho-crm-picker-badge"></span>').text(b).appendTo(row); });
        return row;
    }

    function matches(item, query) {
        return !query || item.value.toLowerCase().indexOf(query) !== -1 || item.label.toLowerCase().indexOf(query) !== -1;
    }

    function tokens(value) {
        return String(value || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    }

    // Typing: suggestions for the whole value, or for the last comma-separated name in a list.
    function autoComplete(spec) {
        return function (value, done) {
            var cut = spec.multiple ? value.lastIndexOf(",") + 1 : 0;
            var head = value.slice(0, cut);
            var query = value.slice(cut).trim().toLowerCase();
            var chosen = tokens(head);
            loadItems(spec, false).then(function (items) {
                done(items.filter(function (it) { return chosen.indexOf(it.value) === -1 && matches(it, query); }).slice(0, 100).map(function (it) {
                    return { value: head + it.value, label: itemView(it) };
                }));
            }, function () { done([]); });
        };
    }

    // The list button: a panel with a filter, a refresh button, messages inline and the items.
    function openPanel(widget, spec) {
        var container = $('<div class="zoho-crm-picker"></div>');
        var bar = $('<div class="zoho-crm-picker-bar"></div>').appendTo(container);
        var filter = $('<input type="text" class="zoho-crm-picker-filter">').attr("placeholder", t("picker.filter")).appendTo(bar);
        var reload = $('<button type="button" class="red-ui-button zoho-crm-picker-refresh"><i class="fa fa-refresh"></i></button>').attr("title", t("picker.refresh")).appendTo(bar);
        var note = $('<div class="zoho-crm-picker-note"></div>').appendTo(container);
        var list = $('<div class="zoho-crm-picker-list"></div>').appendTo(container);
        var items = [];
        var panel = RED.popover.panel(container);

        function render() {
            var query = filter.val().trim().toLowerCase();
            var chosen = spec.multiple ? tokens(widget.value()) : [widget.value()];
            var shown = items.filter(function (it) { return matches(it, query); });
            var scrolled = list.scrollTop();
            list.empty();
            if (items.length && !shown.length) $('<div class="zoho-crm-picker-empty"></div>').text(t("picker.empty")).appendTo(list);
            shown.forEach(function (item) {
                var selected = chosen.indexOf(item.value) !== -1;
                var row = $('<a href="#" class="zoho-crm-picker-item"></a>').attr("data-value", item.value).toggleClass("selected", selected).appendTo(list);
                if (spec.multiple) $('<i class="fa"></i>').addClass(selected ? "fa-check-square-o" : "fa-square-o").appendTo(row);
                itemView(item).appendTo(row);
                row.on("click", function (evt) {
                    evt.preventDefault();
                    if (!spec.multiple) {
                        widget.value(item.value);
                        panel.hide();
                        return;
                    }
                    var now = tokens(widget.value());
                    var at = now.indexOf(item.value);
                    if (at === -1) now.push(item.value);
                    else now.splice(at, 1);
                    widget.value(now.join(","));
                    render();
                });
            });
            list.scrollTop(scrolled);
        }

        function load(refresh) {
            note.removeClass("zoho-crm-picker-error").text(t("picker.loading")).show();
            reload.prop("disabled", true).find("i").addClass("fa-spin");
            loadItems(spec, refresh).then(function (result) {
                items = result;
                note.hide();
            }, function (err) {
                items = [];
                note.addClass("zoho-crm-picker-error").text(err.message).show();
            }).then(function () {
                reload.prop("disabled", false).find("i").removeClass("fa-spin");
                render();
                panel.container.promise().done(keepInWindow); // after the slide-in animation
            });
        }

        // The list arrives after the panel is placed: keep its bottom inside the window.
        function keepInWindow() {
            var box = panel.container;
            var overflow = box.offset().top + box.outerHeight() - ($(window).scrollTop() + $(window).height()) + 5;
            if (overflow > 0) box.css("top", Math.max(0, box.offset().top - overflow) + "px");
        }

        filter.on("input", render);
        // Escape closes the panel here, so the editor's own key handling never sees a removed element.
        container.on("keydown", function (evt) {
            if (evt.keyCode !== 27) return;
            evt.preventDefault();
            evt.stopPropagation();
            panel.hide();
            widget.input.trigger("focus");
        });
        reload.on("click", function (evt) { evt.preventDefault(); load(true); });
        container.css("width", Math.max(300, widget.uiSelect.outerWidth()) + "px");
        // Right edges of the panel and the input lined up.
        panel.show({ target: widget.optionExpandButton, align: "left", offset: [widget.optionExpandButton.outerWidth(), 0] });
        filter.trigger("focus");
        load(false);
    }

    var styled = false;
    function addStyle() {
        if (styled) return;
        styled = true;
        $("<style>").text([
            ".zoho-crm-picker{padding:8px;box-sizing:border-box}",
            ".zoho-crm-picker-bar{display:flex;gap:4px;margin-bottom:6px}",
            ".zoho-crm-picker .zoho-crm-picker-filter{flex:1;width:auto;margin:0}",
            ".zoho-crm-picker-note{font-size:0.9em;color:var(--red-ui-secondary-text-color);padding:4px 2px}",
            ".zoho-crm-picker-note.zoho-crm-picker-error{color:var(--red-ui-text-color-error)}",
            ".zoho-crm-picker-list{max-height:240px;overflow-y:auto}",
            ".zoho-crm-picker-item{display:flex;align-items:center;gap:6px;padding:3px 6px;border-radius:2px;color:var(--red-ui-primary-text-color);text-decoration:none}",
            ".zoho-crm-picker-item:hover,.zoho-crm-picker-item:focus{background:var(--red-ui-list-item-background-hover);text-decoration:none;color:var(--red-ui-primary-text-color)}",
            ".zoho-crm-picker-item.selected{background:var(--red-ui-list-item-background-selected)}",
            ".zoho-crm-picker-api{color:var(--red-ui-secondary-text-color)}",
            ".zoho-crm-picker-badge{margin-left:6px;padding:0 4px;font-size:0.8em;border:1px solid var(--red-ui-secondary-border-color);border-radius:3px;color:var(--red-ui-secondary-text-color)}",
            ".zoho-crm-picker-empty{padding:4px 6px;color:var(--red-ui-secondary-text-color)}"
        ].join("\n")).appendTo("head");
    }

    window.ZohoCrmPickers = {
        /**
         * A TypedInput "str" type with autocomplete and a list button (the expand button).
         * spec: {kind: "modules"|"fields", module(): the module API name or "" (fields only),
         *        multiple: comma-separated list, uniqueFirst: unique fields first, read-only ones left out,
         *        plain: no type button (a text field that is not a TypedInput otherwise)}
         */
        stringType: function (spec) {
            addStyle();
            var expand = function () { openPanel(this, spec); };
            expand.icon = "fa-list-ul"; // TypedInput reads the expand button's icon from here
            // spec.plain: the only type of a plain text field, so TypedInput shows no type button.
            if (spec.plain) return { value: "str", showLabel: false, autoComplete: autoComplete(spec), expand: expand };
            return {
                value: "str",
                label: RED._("typedInput.type.str"),
                icon: "red/images/typedInput/az.svg",
                autoComplete: autoComplete(spec),
                expand: expand
            };
        },
        /** After the TypedInput is built: a tooltip on its list button. */
        decorate: function (input, tooltipKey) {
            var button = $(input).next(".red-ui-typedInput-container").find(".red-ui-typedInput-option-expand");
            RED.popover.tooltip(button, t(tooltipKey));
        },
        /** The module API name a dialog's module TypedInput holds, if it is a typed-in string. */
        typedModule: function (input) {
            var el = $(input);
            return el.typedInput("type") === "str" ? String(el.typedInput("value") || "").trim() : "";
        }
    };
})();
