//! The smallest Typst world: the template, the data as JSON, the pictures, and the embedded
//! Libertinus fonts; no file system, no packages, no clock.

use chrono::Datelike;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::Pictures;

pub struct FactsheetWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    /// (path, bytes) of the other files the template reads.
    files: Vec<(FileId, Bytes)>,
    today: chrono::NaiveDate,
}

fn file_id(path: &str) -> Result<FileId, String> {
    let vpath = VirtualPath::new(path).map_err(|e| format!("{path}: {e:?}"))?;
    Ok(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

/// Libertinus Serif, the template's one family (SIL Open Font License, data/fonts/OFL.txt).
const FONT_FILES: [&[u8]; 3] = [
    include_bytes!("../../../data/fonts/LibertinusSerif-Regular.otf"),
    include_bytes!("../../../data/fonts/LibertinusSerif-Bold.otf"),
    include_bytes!("../../../data/fonts/LibertinusSerif-Italic.otf"),
];

fn fonts() -> &'static [Font] {
    static FONTS: std::sync::OnceLock<Vec<Font>> = std::sync::OnceLock::new();
    FONTS.get_or_init(|| FONT_FILES.iter().filter_map(|data| Font::new(Bytes::new(*data), 0)).collect())
}

impl FactsheetWorld {
    pub fn new(template: &str, data: String, pictures: &Pictures, today: chrono::NaiveDate) -> FactsheetWorld {
        let fonts = fonts().to_vec();
        let mut files = Vec::new();
        let mut add = |path: &str, bytes: Bytes| {
            if let Ok(id) = file_id(path) {
                files.push((id, bytes));
            }
        };
        add("/data.json", Bytes::from_string(data));
        if let Some(svg) = &pictures.map_svg {
            add("/map.svg", Bytes::from_string(svg.clone()));
        }
        if let Some(svg) = &pictures.trend_svg {
            add("/trend.svg", Bytes::from_string(svg.clone()));
        }
        let main_id = file_id("/factsheet.typ").unwrap_or_else(|_| Source::detached("").id());
        FactsheetWorld {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main: Source::new(main_id, template.to_string()),
            files,
            today,
        }
    }

    pub fn pdf(&self) -> Result<Vec<u8>, String> {
        let document: PagedDocument = typst::compile(self)
            .output
            .map_err(|errors| errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))?;
        typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
            .map_err(|errors| errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
    }
}

impl World for FactsheetWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        let bytes = self.file(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_string()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_string()));
        }
        self.files
            .iter()
            .find(|(file, _)| *file == id)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| FileError::NotFound(std::path::PathBuf::from("(factsheet)")))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Datetime::from_ymd(self.today.year(), self.today.month() as u8, self.today.day() as u8)
    }
}
